//go:build linux

package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sipbell/sipbell/board"
)

// The rotary profile on the PL061's lines: the dial's pulse contact on
// line 3 (the power button), hook and off-normal on 0 and 1 (not driven),
// the H-bridge's inputs on 4 and 5.
func rotaryConfig() board.Config {
	pin := func(p string) *board.PinConfig { return &board.PinConfig{Pin: p} }
	return board.Config{Profile: "rotary", Pins: board.Pins{
		DialPulse: pin("GPIO3"), HookSwitch: pin("GPIO0"), DialOffNormal: pin("GPIO1"),
		BellA: pin("GPIO4"), BellB: pin("GPIO5"), StatusLED: pin("GPIO6"),
	}}
}

// checkRotary rings the bell through the H-bridge inputs (antiphase,
// never both high, by the kernel's trace of the writes) and reads a pulse
// of the dial's contact.
func checkRotary(report func(string, error, string)) {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := board.Open(rotaryConfig(), log)
	report("open the rotary profile on the GPIO character device", err, "")
	if err != nil {
		return
	}
	defer b.Close()
	// The hook switch is on PL061 line 0, which nothing pulls up (the
	// PL061 has no bias): it reads low, which for the rotary profile's
	// switch to ground is off hook, and the board reports that at open.
	_, err = nextEvent(b, board.HookSwitch, board.OffHook)
	report("a handset off hook at open is reported", err, "(line 0 reads low: off hook for a switch to ground)")
	err = startTrace()
	if err == nil {
		err = b.Set(board.Ringer, 0, board.Wave(25))
	}
	if err != nil {
		report("ring the bell", err, "")
		return
	}
	time.Sleep(time.Second) // ring for a second (the kernel times the edges)
	err = b.Set(board.Ringer, 0, board.Off())
	var bell bellTrace
	if err == nil {
		bell, err = readBell()
	}
	if err == nil && (bell.both > 0 || bell.aRises < 20 || bell.bRises < bell.aRises-1 || bell.bRises > bell.aRises || bell.hz < 24 || bell.hz > 26) {
		err = fmt.Errorf("bell A rose %d times at %.2f Hz, bell B %d times, both high %d times; want 25 Hz in antiphase",
			bell.aRises, bell.hz, bell.bRises, bell.both)
	}
	report("bell rung through the H-bridge inputs in antiphase", err,
		fmt.Sprintf("(A rose %d times at %.2f Hz, B %d times, never both high, by the kernel's trace)", bell.aRises, bell.hz, bell.bRises))

	fmt.Println("gpiokernel: waiting for a pulse on line 3 (dial pulse)")
	brk, err := nextEvent(b, board.PulseContact, board.DialBreak)
	var mk board.Event
	if err == nil {
		mk, err = nextEvent(b, board.PulseContact, board.DialMake)
	}
	report("dial pulse read as break then make", err, fmt.Sprintf("(break of %v)", mk.Time.Sub(brk.Time).Round(100*time.Microsecond)))
}

// bellTrace is what the trace says of the H-bridge inputs.
type bellTrace struct {
	aRises, bRises int
	both           int // writes after which both inputs were high
	hz             float64
}

func readBell() (bellTrace, error) {
	var r bellTrace
	a, err := lineNumber("GPIO4")
	if err != nil {
		return r, err
	}
	bb, err := lineNumber("GPIO5")
	if err != nil {
		return r, err
	}
	ws, err := traceWrites()
	if err != nil {
		return r, err
	}
	level := map[string]int{}
	var first, last float64
	for _, w := range ws {
		if w.gpio != a && w.gpio != bb {
			continue
		}
		if w.v == 1 && level[w.gpio] == 0 {
			if w.gpio == a {
				if r.aRises == 0 {
					first = w.ts
				}
				last = w.ts
				r.aRises++
			} else {
				r.bRises++
			}
		}
		level[w.gpio] = w.v
		if level[a] == 1 && level[bb] == 1 {
			r.both++
		}
	}
	if r.aRises < 2 {
		return r, fmt.Errorf("bell A rose %d times in the trace", r.aRises)
	}
	r.hz = float64(r.aRises-1) / (last - first)
	return r, nil
}
