package ua

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/syscalltrace"
)

// TestKeepAliveWaitsOnTimerfd: on the system clock the registration's
// keep-alive waits on a timerfd, not a runtime timer (issue 16: a runtime
// timer costs an idle process up to 40 context switches each time it
// fires), and the checks still go out one after another. Meanwhile
// nothing of the UA enters a blocking-style system call, which would
// wake the runtime's sysmon: the keep-alive's timerfds are re-armed, not
// made and closed per wait (idleslot.go), and the SIP socket is read and
// written with raw calls (internal/rawudp). Not parallel: the execution
// trace it reads is the process's.
func TestKeepAliveWaitsOnTimerfd(t *testing.T) {
	h, pings := startAtMini(t, true, func(u *UA) { u.cfg.KeepAlive = 100 * time.Millisecond })
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
	waitPing(t, pings, "options")
	calls, err := syscalltrace.Process(func() {
		for range 5 {
			waitPing(t, pings, "options")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.Has("miniRegistrar") || c.Has("testing.") {
			continue // the test's own
		}
		if c.Has("sipbell/ua.") || c.Has("sipbell/internal/") || c.Has("emiago/sipgo") {
			t.Errorf("a blocking-style system call during the keep-alive checks:\n\t%v", c)
		}
	}
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "fdtimer.(*Rearm).wait") {
			return
		}
	}
	t.Errorf("no goroutine waits on a timerfd while registered:\n%.4000s", dump)
}

// timerClock is a fakeClock that reports the duration of each timer
// made, so that a test advances it once the timer it means is there.
type timerClock struct {
	fakeClock
	made chan time.Duration
}

func (c *timerClock) NewTimer(d time.Duration) Timer {
	t := c.fakeClock.NewTimer(d)
	select {
	case c.made <- d:
	default:
	}
	return t
}

// awaitTimer waits until a timer of d has been made.
func (c *timerClock) awaitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	if !awaitValue(c.made, d, 10*time.Second) {
		t.Fatalf("no %v timer was made", d)
	}
}

// TestKeepAliveCheckDeadlineOnClock: the keep-alive check's deadline is
// a timer of the injected clock (an idle timer on the system clock), not
// a runtime timer of its own: a registrar that never answers the OPTIONS
// fails the check when the clock passes timing.CheckTimeout (an hour
// here, that sipgo's own 32 s transaction timeout does not end first),
// and the device registers again.
func TestKeepAliveCheckDeadlineOnClock(t *testing.T) {
	t.Parallel()
	clk := &timerClock{fakeClock: fakeClock{now: time.Unix(1e9, 0)}, made: make(chan time.Duration, 64)}
	const ka = 7 * time.Second
	h, pings := startAtMini(t, false, func(u *UA) {
		u.cfg.KeepAlive = ka
		u.timing.CheckTimeout = time.Hour
	}, WithClock(clk))
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
	clk.awaitTimer(t, ka)
	clk.Advance(ka)
	waitPing(t, pings, "options")
	clk.awaitTimer(t, time.Hour)
	clk.Advance(time.Hour)
	h.wait(t, 10*time.Second, "registering again after the unanswered check", func(e Event) bool {
		return e.Kind == EventRegistration && e.Reg == Registering && strings.Contains(e.Reason, "no answer to the keep-alive OPTIONS")
	})
}
