package ua

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestFDTimer: the timerfd timer fires once after its duration, or not
// at all when stopped first; Stop says which, and its goroutine ends
// either way (nothing leaks per keep-alive).
func TestFDTimer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		d         time.Duration
		stopFirst bool
	}{
		{"fires", time.Millisecond, false},
		{"zero fires", 0, false},
		{"stopped", time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tm, err := newFDTimer(tc.d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.stopFirst {
				if !tm.Stop() {
					t.Error("Stop before expiry reported the timer fired")
				}
			} else {
				select {
				case <-tm.C():
				case <-time.After(10 * time.Second):
					t.Fatal("the timer never fired")
				}
				if tm.Stop() {
					t.Error("Stop after expiry reported it stopped the timer")
				}
			}
			select {
			case <-tm.done:
			case <-time.After(10 * time.Second):
				t.Fatal("the timer's goroutine did not end")
			}
			if tc.stopFirst {
				select {
				case <-tm.C():
					t.Error("a stopped timer fired")
				default:
				}
			}
		})
	}
}

// TestKeepAliveWaitsOnTimerfd: on the system clock the registration's
// keep-alive waits on a timerfd, not a runtime timer (issue 16: a runtime
// timer costs an idle process up to 40 context switches each time it
// fires), and the checks still go out one after another.
func TestKeepAliveWaitsOnTimerfd(t *testing.T) {
	t.Parallel()
	addr, pings := miniRegistrar(t, true)
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: addr, User: "door", Expires: time.Hour}}
	h := start(t, cfg, func(u *UA) { u.cfg.KeepAlive = 200 * time.Millisecond })
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
	for range 3 {
		waitPing(t, pings, "options")
	}
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "ua.(*fdTimer).wait") {
			return
		}
	}
	t.Errorf("no goroutine waits on a timerfd while registered:\n%.4000s", dump)
}

// TestFDTicker: the periodic timerfd fires again and again until
// stopped, and its goroutine ends then.
func TestFDTicker(t *testing.T) {
	t.Parallel()
	tk, err := newFDTimer(time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case <-tk.C():
		case <-time.After(10 * time.Second):
			t.Fatal("the ticker stopped ticking")
		}
	}
	tk.Stop()
	select {
	case <-tk.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the ticker's goroutine did not end")
	}
}
