//go:build linux

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/internal/vminit"
)

// runInit is PID 1 of the test VM: mount what the checks read (debugfs
// and tracefs too), run them, print "gpiokernel: ..." lines, power off.
func runInit() {
	vminit.Setup()
	_ = unix.Mount("debugfs", "/sys/kernel/debug", "debugfs", 0, "")
	_ = unix.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, "")
	c := &vminit.Checks{Name: "gpiokernel"}
	checks(c.Report)
	checkRotary(c.Report)
	c.Done()
}

// The slic profile moved onto the PL061's eight lines (named GPIO0..7 by
// the test's device tree): SHK on line 3, the power button's.
func slicConfig() board.Config {
	pin := func(p string) *board.PinConfig { return &board.PinConfig{Pin: p} }
	return board.Config{Profile: "slic", Pins: board.Pins{
		HookSwitch: pin("GPIO3"), RingMode: pin("GPIO4"), ForwardReverse: pin("GPIO5"), StatusLED: pin("GPIO6"),
	}}
}

func checks(report func(string, error, string)) {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := board.Open(slicConfig(), log)
	report("open the slic profile on the GPIO character device", err, "")
	if err != nil {
		return
	}
	defer b.Close()
	report("lines requested as the profile says", expectLines(map[string]string{
		"GPIO3": "in", "GPIO4": "out lo", "GPIO5": "out lo", "GPIO6": "out lo",
	}), "(debugfs: SHK in, RM, F/R and LED out, low)")

	// Ringing: RM high the whole time, F/R toggling at the ring frequency,
	// as the kernel's gpio_value tracepoint records each write to a line.
	if err := startTrace(); err != nil {
		report("trace the lines", err, "")
		return
	}
	if err := b.Set(board.Ringer, 0, board.Wave(25)); err != nil {
		report("ring", err, "")
		return
	}
	time.Sleep(time.Second) // ring for a second (the kernel times the edges)
	err = expectLines(map[string]string{"GPIO4": "out hi"})
	if err == nil {
		err = b.Set(board.Ringer, 0, board.Off())
	}
	var r ring
	if err == nil {
		r, err = readTrace()
	}
	if err == nil && (r.rmOn != 1 || r.rmOffEarly || r.hz < 24 || r.hz > 26) {
		err = fmt.Errorf("F/R rose %d times at %.2f Hz, RM switched on %d times (off early: %t); want 25 Hz with RM on throughout",
			r.rises, r.hz, r.rmOn, r.rmOffEarly)
	}
	report("ring waveform on the lines", err, fmt.Sprintf("(F/R rose %d times at %.2f Hz by the kernel's timestamps, RM high throughout)", r.rises, r.hz))

	steps := []struct {
		role board.Role
		p    board.Pattern
		want map[string]string
	}{
		{board.Ringer, board.Off(), map[string]string{"GPIO4": "out lo", "GPIO5": "out lo"}},
		{board.LineReversal, board.On(), map[string]string{"GPIO4": "out lo", "GPIO5": "out hi"}},
		{board.LineReversal, board.Off(), map[string]string{"GPIO4": "out lo", "GPIO5": "out lo"}},
	}
	for _, s := range steps {
		err := b.Set(s.role, 0, s.p)
		if err == nil {
			err = expectLines(s.want)
		}
		report(fmt.Sprintf("%s %s on the lines", s.role, s.p), err, fmt.Sprint(s.want))
	}

	// The hook: each power-button press is a 100 ms high pulse on SHK.
	for i := 1; i <= 3; i++ {
		fmt.Printf("gpiokernel: waiting for a pulse on line 3 (hook pulse %d)\n", i)
		off, err := nextEvent(b, board.HookSwitch, board.OffHook)
		var on board.Event
		if err == nil {
			on, err = nextEvent(b, board.HookSwitch, board.OnHook)
		}
		// The events carry the kernel's edge timestamps, and qemu's
		// pulse is 100 ms of the guest's (virtual) time.
		held := on.Time.Sub(off.Time)
		if err == nil && (held < 90*time.Millisecond || held > 110*time.Millisecond) {
			err = fmt.Errorf("the 100 ms pulse measured %v between the events", held)
		}
		report(fmt.Sprintf("hook pulse %d read as off-hook then on-hook", i), err,
			fmt.Sprintf("(on hook again %v later by the edges' timestamps)", held.Round(100*time.Microsecond)))
	}
}

// nextEvent waits for the board's next event, which must be role's kind.
func nextEvent(b *board.Board, role board.Role, kind board.EventKind) (board.Event, error) {
	select {
	case e := <-b.Events():
		if e.Role != role || e.Kind != kind {
			return e, fmt.Errorf("event %s %s, want %s %s", e.Role, e.Kind, role, kind)
		}
		return e, nil
	case <-time.After(60 * time.Second):
		return board.Event{}, fmt.Errorf("no %s within 60 s", kind)
	}
}

// lines returns each named line's state from /sys/kernel/debug/gpio as
// "in", "out hi" or "out lo" (the PL061 driver reads the data register).
func lines() (map[string]string, error) {
	raw, err := os.ReadFile("/sys/kernel/debug/gpio")
	if err != nil {
		return nil, err
	}
	st := map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		open := strings.Index(l, "(")
		bar := strings.Index(l, "|")
		shut := strings.Index(l, ")")
		if open < 0 || bar < open || shut < bar {
			continue
		}
		name := strings.TrimSpace(l[open+1 : bar])
		f := strings.Fields(l[shut+1:])
		switch {
		case len(f) >= 2 && f[0] == "out":
			st[name] = "out " + f[1]
		case len(f) >= 1 && f[0] == "in":
			st[name] = "in"
		}
	}
	return st, nil
}

func expectLines(want map[string]string) error {
	st, err := lines()
	if err != nil {
		return err
	}
	var bad []string
	for name, w := range want {
		if st[name] != w {
			bad = append(bad, fmt.Sprintf("%s is %q, want %q", name, st[name], w))
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// lineNumber returns the global GPIO number of the line named name, as
// debugfs and the gpio_value tracepoint give it ("gpio-517 (GPIO5 ...").
func lineNumber(name string) (string, error) {
	raw, err := os.ReadFile("/sys/kernel/debug/gpio")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Fields(strings.NewReplacer("(", " ", "|", " ").Replace(l))
		if len(f) >= 2 && f[1] == name && strings.HasPrefix(f[0], "gpio-") {
			return strings.TrimPrefix(f[0], "gpio-"), nil
		}
	}
	return "", fmt.Errorf("no line %s in /sys/kernel/debug/gpio", name)
}

const tracing = "/sys/kernel/tracing/"

// startTrace clears the trace buffer and records every line write.
func startTrace() error {
	if err := os.WriteFile(tracing+"events/gpio/gpio_value/enable", []byte("1"), 0); err != nil {
		return err
	}
	return os.WriteFile(tracing+"trace", nil, 0)
}

// ring is what the trace says of one ring burst.
type ring struct {
	rises      int     // F/R writes of 1
	hz         float64 // from the first to the last rise
	rmOn       int     // RM writes of 1
	rmOffEarly bool    // RM written 0 before F/R's last rise
}

// write is one gpio_value event: line gpio was set to v at ts seconds.
type write struct {
	ts   float64
	gpio string
	v    int
}

// traceWrites reads the gpio_value events ("<ts>: gpio_value: 517 set 1").
func traceWrites() ([]write, error) {
	raw, err := os.ReadFile(tracing + "trace")
	if err != nil {
		return nil, err
	}
	var ws []write
	for _, l := range strings.Split(string(raw), "\n") {
		i := strings.Index(l, ": gpio_value: ")
		f := strings.Fields(l[:max(i, 0)])
		if i < 0 || len(f) == 0 {
			continue
		}
		var w write
		var verb string
		if _, err := fmt.Sscan(f[len(f)-1], &w.ts); err != nil {
			continue
		}
		if n, _ := fmt.Sscan(l[i+len(": gpio_value: "):], &w.gpio, &verb, &w.v); n == 3 && verb == "set" {
			ws = append(ws, w)
		}
	}
	return ws, nil
}

// readTrace reads what the trace says of one ring burst on the SLIC.
func readTrace() (ring, error) {
	var r ring
	rm, err := lineNumber("GPIO4")
	if err != nil {
		return r, err
	}
	fr, err := lineNumber("GPIO5")
	if err != nil {
		return r, err
	}
	ws, err := traceWrites()
	if err != nil {
		return r, err
	}
	var first, last float64
	for _, w := range ws {
		switch {
		case w.gpio == fr && w.v == 1:
			if r.rises == 0 {
				first = w.ts
			}
			last = w.ts
			r.rises++
		case w.gpio == rm && w.v == 1:
			r.rmOn++
		case w.gpio == rm && w.v == 0 && r.rises > 0 && w.ts < last:
			r.rmOffEarly = true
		}
	}
	if r.rises < 2 {
		return r, fmt.Errorf("F/R rose %d times in the trace", r.rises)
	}
	r.hz = float64(r.rises-1) / (last - first)
	return r, nil
}
