package fdtimer

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/syscalltrace"
)

// TestRearm: one Rearm serves wait after wait: it fires once per Reset,
// a Reset drops an expiry of the arming before it that was not received,
// Stop keeps it from firing and says so, and Close ends its goroutine.
func TestRearm(t *testing.T) {
	t.Parallel()
	tm, err := NewRearm()
	if err != nil {
		t.Fatal(err)
	}
	fired := func(within time.Duration) bool {
		select {
		case <-tm.C():
			return true
		case <-time.After(within):
			return false
		}
	}
	for i := range 5 { // fires once per arming
		tm.Reset(time.Millisecond)
		if !fired(10 * time.Second) {
			t.Fatalf("arming %d never fired", i)
		}
		if fired(20 * time.Millisecond) {
			t.Fatalf("arming %d fired twice", i)
		}
	}
	tm.Reset(time.Millisecond)
	time.Sleep(20 * time.Millisecond) // expired, not received
	tm.Reset(time.Hour)
	if fired(50 * time.Millisecond) {
		t.Fatal("the expiry of the arming before Reset was delivered after it")
	}
	if !tm.Stop() {
		t.Error("Stop of an armed timer reported it had fired")
	}
	tm.Reset(0)
	if !fired(10 * time.Second) {
		t.Fatal("Reset(0) did not fire at once")
	}
	if tm.Stop() {
		t.Error("Stop after the expiry reported it stopped the timer")
	}
	tm.Reset(time.Millisecond)
	if !tm.Stop() {
		t.Skip("the 1 ms arming fired before Stop: the machine is slow; the rest holds anyway")
	}
	if fired(50 * time.Millisecond) {
		t.Fatal("a stopped timer fired")
	}
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tm.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the goroutine")
	}
	tm.Reset(time.Millisecond) // after Close: nothing, no panic
	if fired(20 * time.Millisecond) {
		t.Fatal("a closed timer fired")
	}
}

// TestRearmNoBlockingSystemCalls: waits on one Rearm make no system call
// that enters the runtime's entersyscall (it would wake sysmon in an idle
// process); a Timer per wait closes its timerfd each time, and does. The
// execution trace of the waiting goroutine tells. Not parallel: the trace
// is the process's.
func TestRearmNoBlockingSystemCalls(t *testing.T) {
	const waits = 10
	for _, tc := range []struct {
		name string
		wait func(t *testing.T, r *Rearm)
		none bool
	}{
		{"timer per wait", func(t *testing.T, _ *Rearm) {
			tm, err := New(time.Millisecond, 0)
			if err != nil {
				t.Fatal(err)
			}
			<-tm.C()
			tm.Stop()
			<-tm.done
		}, false},
		{"rearm", func(t *testing.T, r *Rearm) {
			r.Reset(time.Millisecond)
			<-r.C()
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRearm()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, err := syscalltrace.Count(func() {
				for range waits {
					tc.wait(t, r)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.none && n != 0 || !tc.none && n < waits {
				t.Fatalf("%d transitions into a system call over %d waits (want none: %v)", n, waits, tc.none)
			}
		})
	}
}
