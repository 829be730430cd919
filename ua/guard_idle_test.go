package ua

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a logger and a test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (f *fakeClock) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// TestGuardSleepsWhenIdle (issue 16): the request guard's housekeeping
// arms no timer while it has nothing to expire, so an idle device does
// not wake for it; a stranger's message wakes it, it ticks while the
// stranger is in its table or a log summary may be owed (the summary of
// a flood is written after the flood), then it sleeps again.
func TestGuardSleepsWhenIdle(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	var out lockedBuffer
	logs := NewLogLimiter(slog.New(slog.NewTextHandler(&out, nil)), clk, time.Second, 8)
	g := newGuard(DefaultLimits(), clk, logs, nil)
	g.memLimit = 1 << 40
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.run(ctx, func() []netip.AddrPort { return nil }) }()
	defer func() { cancel(); <-done }()

	asleep := func() bool { return !g.active.Load() && clk.pending() == 0 }
	waitFor(t, "the idle guard asleep, no timer armed", asleep)

	for round, tc := range []struct {
		name string
		msg  string
	}{
		{"a stranger's OPTIONS", "OPTIONS sip:door@192.0.2.1 SIP/2.0\r\nUser-Agent: Linphone\r\n\r\n"},
		{"a scanner (blocked, dropped, logged)", "OPTIONS sip:door@192.0.2.1 SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n"},
	} {
		ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + round)})
		for range 3 {
			if r, ok := g.admit(ip, []byte(tc.msg)); !ok {
				g.drop(r, ip)
			}
		}
		waitFor(t, tc.name+": the guard awake with a timer", func() bool { return clk.pending() == 1 })
		// Step the fake clock tick by tick until the guard sleeps again.
		for steps := 0; !asleep(); steps++ {
			if steps > 10000 {
				t.Fatalf("%s: the guard never went back to sleep", tc.name)
			}
			waitFor(t, tc.name+": the next tick armed", func() bool { return clk.pending() == 1 || asleep() })
			if clk.pending() == 1 {
				clk.Advance(guardTick)
			}
		}
		g.mu.Lock()
		n := len(g.sources)
		g.mu.Unlock()
		if n != 0 {
			t.Errorf("%s: asleep with %d sources in the table", tc.name, n)
		}
	}
	if !strings.Contains(out.String(), "more from 192.0.2.11") {
		t.Errorf("the scanner's suppressed lines were never summed up before the guard slept:\n%s", out.String())
	}
}
