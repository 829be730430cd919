//go:build linux

package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sipbell/sipbell/board"
)

type reporter func(name string, err error, detail string)

// open opens the board with a built-in profile on the simulated chip, as
// on a Pi, and drains what it reports at start.
func open(report reporter, profile string) *board.Board {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := board.Open(board.Config{Profile: profile}, log)
	report(fmt.Sprintf("open the %q profile on the GPIO character device", profile), err, "")
	if err != nil {
		return nil
	}
	drain(b, 200*time.Millisecond)
	return b
}

// drain discards events until none came for quiet.
func drain(b *board.Board, quiet time.Duration) {
	for {
		select {
		case <-b.Events():
		case <-time.After(quiet):
			return
		}
	}
}

// edge sets line n from outside and waits for the board's next event,
// which must be role's kind; it returns how long after the write it came.
func edge(c chip, b *board.Board, n int, how string, role board.Role, kind board.EventKind) (time.Duration, error) {
	start := time.Now()
	if err := c.Pull(n, how); err != nil {
		return 0, err
	}
	select {
	case ev := <-b.Events():
		if ev.Role != role || ev.Kind != kind {
			return 0, fmt.Errorf("got %s %s, want %s %s", ev.Role, ev.Kind, role, kind)
		}
		return time.Since(start), nil
	case <-time.After(5 * time.Second):
		return 0, fmt.Errorf("no %s %s within 5 s of GPIO%d %s", role, kind, n, how)
	}
}

// quiet fails if the board reports anything within d.
func quiet(b *board.Board, d time.Duration) error {
	select {
	case ev := <-b.Events():
		return fmt.Errorf("unexpected %s %s", ev.Role, ev.Kind)
	case <-time.After(d):
		return nil
	}
}

// set drives an output and checks the lines read back as want.
func set(report reporter, c chip, b *board.Board, role board.Role, p board.Pattern, want map[int]string) {
	err := b.Set(role, 0, p)
	if err == nil {
		err = c.Expect(want)
	}
	report(fmt.Sprintf("%s %s reads back on the lines", role, p), err, fmt.Sprint(want))
}

// checkDoor: the door station's "rpi" profile (README's wiring).
func checkDoor(report reporter, c chip) {
	b := open(report, "rpi")
	if b == nil {
		return
	}
	defer b.Close()
	report("inputs pulled up by the bias the board asked for, outputs low", c.Expect(map[int]string{
		17: "1", 24: "1", 25: "1", 27: "0", 22: "0", 23: "0", 5: "0",
	}), "(button GPIO17, contact GPIO24, hook GPIO25 high; LEDs GPIO27/22, relay GPIO23, ringer GPIO5 low)")

	d, err := edge(c, b, 17, "pull-down", board.CallButton, board.Press)
	report("button to ground is one debounced press", err, fmt.Sprintf("(event %v after the edge; debounce 30 ms)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 17, "pull-up", board.CallButton, board.Release)
	report("button let go is a release", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))

	d, err = edge(c, b, 24, "pull-down", board.DoorContact, board.DoorClosed)
	report("door contact closed", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 24, "pull-up", board.DoorContact, board.DoorOpened)
	report("door contact open", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))

	set(report, c, b, board.DoorRelay, board.On(), map[int]string{23: "1"})
	set(report, c, b, board.DoorRelay, board.Off(), map[int]string{23: "0"})
	set(report, c, b, board.StatusLED, board.On(), map[int]string{27: "1", 22: "0"})
	set(report, c, b, board.CallLED, board.On(), map[int]string{27: "1", 22: "1"})

	// The door opener's pulse: on at once, off by itself, never early.
	const pulse = 300 * time.Millisecond
	start := time.Now()
	err = b.Set(board.DoorRelay, 0, board.Pulse(pulse))
	if err == nil {
		err = c.Expect(map[int]string{23: "1"})
	}
	var held time.Duration
	for err == nil {
		v, rerr := c.Value(23)
		if rerr != nil {
			err = rerr
		} else if v == "0" {
			held = time.Since(start)
			if held < pulse {
				err = fmt.Errorf("relay off after %v, before its %v pulse ended", held, pulse)
			}
			break
		} else if time.Since(start) > 5*time.Second {
			err = fmt.Errorf("relay still on 5 s into a %v pulse", pulse)
		}
		sleep(5 * time.Millisecond)
	}
	report("door relay pulse", err, fmt.Sprintf("(GPIO23 high for %v of a %v pulse, as read from outside)", held.Round(time.Millisecond), pulse))
}

// checkBounce: a bouncing contact, twelve level changes back to back
// ending where it started, is no press. The debounce is raised to 250 ms
// for it, and a train that took longer than half of that (a slow emulated
// machine) is tried again, so that the train is surely inside it.
func checkBounce(report reporter, c chip) {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	const debounce = 250 * time.Millisecond
	cfg := board.Config{Profile: "rpi", Pins: board.Pins{CallButtons: []board.PinConfig{{Pin: "GPIO17", Debounce: debounce}}}}
	b, err := board.Open(cfg, log)
	if err != nil {
		report("open the rpi profile with a 250 ms debounce", err, "")
		return
	}
	defer b.Close()
	drain(b, 200*time.Millisecond)
	var took time.Duration
	for try := 1; try <= 5; try++ {
		start := time.Now()
		for i := 0; i < 12 && err == nil; i++ {
			how := "pull-down"
			if i%2 == 1 {
				how = "pull-up"
			}
			err = c.Pull(17, how)
		}
		took = time.Since(start)
		if err != nil || took < debounce/2 {
			break
		}
		drain(b, 2*debounce)
	}
	if err == nil && took >= debounce/2 {
		err = fmt.Errorf("twelve sysfs writes took %v each time: too slow to stay inside the debounce", took)
	}
	if err == nil {
		err = quiet(b, 2*debounce)
	}
	report("a bounce shorter than the debounce is no press", err, fmt.Sprintf("(12 changes in %v, nothing reported)", took.Round(time.Millisecond)))
}

// checkSLIC: the analog phone on an Ag1171 SLIC (SHK high off hook).
func checkSLIC(report reporter, c chip) {
	b := open(report, "slic")
	if b == nil {
		return
	}
	defer b.Close()
	report("SHK pulled down (on hook), RM and F/R low", c.Expect(map[int]string{25: "0", 5: "0", 6: "0"}), "")
	d, err := edge(c, b, 25, "pull-up", board.HookSwitch, board.OffHook)
	report("handset lifted: off-hook", err, fmt.Sprintf("(%v; debounce 5 ms)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 25, "pull-down", board.HookSwitch, board.OnHook)
	report("handset down: on-hook", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))

	// Ringing: RM high throughout, F/R seen both high and low.
	err = b.Set(board.Ringer, 0, board.Wave(25))
	seen := map[string]int{}
	for i := 0; i < 40 && err == nil; i++ {
		var rm, fr string
		if rm, err = c.Value(5); err == nil && rm != "1" {
			err = fmt.Errorf("RM (GPIO5) read %s while ringing", rm)
		}
		if err == nil {
			fr, err = c.Value(6)
			seen[fr]++
		}
		sleep(7 * time.Millisecond)
	}
	if err == nil && (seen["0"] == 0 || seen["1"] == 0) {
		err = fmt.Errorf("F/R (GPIO6) never toggled: %v", seen)
	}
	report("ringing: RM high, F/R toggling", err, fmt.Sprintf("(40 reads of F/R: %d high, %d low)", seen["1"], seen["0"]))
	set(report, c, b, board.Ringer, board.Off(), map[int]string{5: "0", 6: "0"})
	set(report, c, b, board.LineReversal, board.On(), map[int]string{5: "0", 6: "1"})
	set(report, c, b, board.LineReversal, board.Off(), map[int]string{5: "0", 6: "0"})
}

// checkRotary: a rotary phone on the header, its bell on an H-bridge.
func checkRotary(report reporter, c chip) {
	b := open(report, "rotary")
	if b == nil {
		return
	}
	defer b.Close()
	// The dial's pulse contact is closed at rest: the outside holds it low.
	if err := c.Pull(24, "pull-down"); err != nil {
		report("pulse contact at rest", err, "")
		return
	}
	drain(b, 200*time.Millisecond)
	d, err := edge(c, b, 23, "pull-down", board.OffNormalContact, board.DialOffNormal)
	report("dial turned: off-normal", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 24, "pull-up", board.PulseContact, board.DialBreak)
	report("dial pulse break", err, fmt.Sprintf("(%v; debounce 3 ms)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 24, "pull-down", board.PulseContact, board.DialMake)
	report("dial pulse make", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))
	d, err = edge(c, b, 23, "pull-up", board.OffNormalContact, board.DialAtRest)
	report("dial back at rest", err, fmt.Sprintf("(%v)", d.Round(time.Millisecond)))

	// Antiphase itself (never both high) is timed by the kernel's trace in
	// scripts/gpio-kernel-test.sh; two sysfs reads are not one instant.
	err = b.Set(board.Ringer, 0, board.Wave(25))
	high := map[int]int{}
	for i := 0; i < 40 && err == nil; i++ {
		for _, n := range []int{5, 6} {
			v, rerr := c.Value(n)
			if rerr != nil {
				err = rerr
			} else if v == "1" {
				high[n]++
			}
		}
		sleep(7 * time.Millisecond)
	}
	if err == nil && (high[5] == 0 || high[6] == 0 || high[5] == 40 || high[6] == 40) {
		err = fmt.Errorf("bell A (GPIO5) high in %d of 40 reads, B (GPIO6) in %d", high[5], high[6])
	}
	report("bell driven on both H-bridge inputs", err, fmt.Sprintf("(40 reads: A high %d, B high %d)", high[5], high[6]))
	set(report, c, b, board.Ringer, board.Off(), map[int]string{5: "0", 6: "0"})
}
