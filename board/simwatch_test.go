package board

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestSimWatchReportsPatternsNotToggles: what the sim board's terminal
// shows a person is each pattern change of an LED ("call LED fast blink"),
// not every toggle of the blink (7 s of ringing were 56 lines), while a
// relay pulse still shows as "door relay on" and "door relay off" and a
// pattern set again says nothing new.
func TestSimWatchReportsPatternsNotToggles(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClock()
	b, err := Open(outputsOnly(), discard(), WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lines, stop := b.Sim().Watch()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	drain := func() {
		for {
			select {
			case l := <-lines:
				got = append(got, l)
			default:
				return
			}
		}
	}
	advance := func(d time.Duration) {
		t.Helper()
		for end := fc.Now().Add(d); fc.Now().Before(end); {
			fc.Advance(25 * time.Millisecond)
			if err := fc.BlockUntilContext(ctx, 1); err != nil {
				t.Fatalf("scheduler did not re-arm: %v", err)
			}
		}
	}
	set := func(r Role, p Pattern) {
		t.Helper()
		if err := b.Set(r, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	set(StatusLED, SlowBlink())
	set(CallLED, FastBlink())
	advance(7 * time.Second) // ringing
	set(CallLED, On())       // answered
	set(DoorRelay, Pulse(time.Second))
	advance(2 * time.Second)
	set(StatusLED, On())
	set(StatusLED, On())
	set(CallLED, Off())
	set(Ringer, Ring())
	advance(6 * time.Second)
	set(Ringer, Off())
	drain()
	want := []string{"status LED slow blink", "call LED fast blink", "call LED on", "door relay on", "door relay off",
		"status LED on", "call LED off", fmt.Sprintf("ringer %v", Ring()), "ringer off"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("watch lines:\n got %q\nwant %q", got, want)
	}
}
