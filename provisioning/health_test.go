package provisioning

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// healthFrom adapts a yes/no health signal to ManagerOptions.Health.
func healthFrom(ok func() bool) func(context.Context) error {
	return func(context.Context) error {
		if ok() {
			return nil
		}
		return errors.New("test: unhealthy")
	}
}

// ticks advances the fake clock a second at a time, running the health
// check after each step as Run's ticker would.
func ticks(clk *clockwork.FakeClock, m *Manager, n int) {
	for range n {
		clk.Advance(time.Second)
		m.checkHealth(context.Background())
	}
}

// TestHealthMustHoldThroughTheWindow: a device that comes up healthy and
// drops again is not confirmed; the change is rolled back at the deadline,
// and the rollback is then proved the same way.
func TestHealthMustHoldThroughTheWindow(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClock()
	var healthy atomic.Bool
	healthy.Store(true)
	m, a, _ := newTestManager(t, ManagerOptions{Clock: clk, Health: healthFrom(healthy.Load),
		RollbackAfter: time.Minute, Window: 20 * time.Second})
	if _, err := m.Submit(context.Background(), "test", []byte("sip:\n  user: flaky\n")); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	ticks(clk, m, 10) // healthy for 10 s: not yet the window
	if !m.hasPending() {
		t.Fatal("confirmed before the window was over")
	}
	healthy.Store(false) // the registration drops
	ticks(clk, m, 5)
	healthy.Store(true) // and comes back, flapping
	ticks(clk, m, 5)
	healthy.Store(false)
	ticks(clk, m, 45) // past the minute
	if got := m.Last().Outcome; got != OutcomeRolledBack {
		t.Fatalf("outcome %q after a flapping minute, want %q", got, OutcomeRolledBack)
	}
	if f := <-a.ch; f.SIP.User != Default().SIP.User {
		t.Fatalf("rolled back to %q", f.SIP.User)
	}
	if !m.hasPending() {
		t.Fatal("the rollback is not being checked")
	}
	healthy.Store(true)
	ticks(clk, m, 21)
	if m.hasPending() {
		t.Fatal("the healthy rollback was not confirmed")
	}
	if msg := m.Last().Message; !strings.Contains(msg, "restored configuration is healthy") {
		t.Fatalf("status after the rollback proved healthy: %q", msg)
	}
}

// TestRollbackThatIsNotHealthyEither: when the restored configuration does
// not prove healthy either, the Manager says so and does not loop.
func TestRollbackThatIsNotHealthyEither(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClock()
	var healthy atomic.Bool
	healthy.Store(true)
	m, a, _ := newTestManager(t, ManagerOptions{Clock: clk, Health: healthFrom(healthy.Load), RollbackAfter: time.Minute})
	if _, err := m.Submit(context.Background(), "test", []byte("sip:\n  user: broken\n")); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	healthy.Store(false)
	ticks(clk, m, 61)
	<-a.ch // the rollback
	ticks(clk, m, 61)
	if m.hasPending() {
		t.Fatal("still checking the rollback after its time")
	}
	if msg := m.Last().Message; !strings.Contains(msg, "still not healthy") {
		t.Fatalf("status: %q", msg)
	}
	select {
	case f := <-a.ch:
		t.Fatalf("applied again after the rollback: %q", f.SIP.User)
	default:
	}
}

// ctxApplier records whether the context Apply got can end.
type ctxApplier struct{ done atomic.Bool }

func (c *ctxApplier) Apply(ctx context.Context, _ File) error {
	c.done.Store(ctx.Done() != nil)
	return nil
}

// TestApplyOutlivesTheRequest: whatever Apply starts must not end with
// the HTTP request or fetch that brought the change, so the Manager never
// hands it a context that can be cancelled.
func TestApplyOutlivesTheRequest(t *testing.T) {
	t.Parallel()
	ap := &ctxApplier{}
	m, err := NewManager(ManagerOptions{Path: t.TempDir() + "/sipbell.yaml", Initial: Default(), Applier: ap, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := m.Submit(ctx, "web", []byte("sip:\n  user: someone\n")); err != nil {
		t.Fatal(err)
	}
	if ap.done.Load() {
		t.Fatal("Apply was handed the request's cancellable context")
	}
}

// TestUnhealthyBeforeIsWatchedNotRolledBack: a change made while the
// device was already unhealthy is not rolled back (the old one was no
// better), and the status says why.
func TestUnhealthyBeforeIsWatchedNotRolledBack(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClock()
	m, a, _ := newTestManager(t, ManagerOptions{Clock: clk, Health: healthFrom(func() bool { return false }), RollbackAfter: time.Minute})
	r, err := m.Submit(context.Background(), "test", []byte("sip:\n  user: fix\n"))
	if err != nil {
		t.Fatal(err)
	}
	<-a.ch
	if !strings.Contains(r.Message, "not healthy before") {
		t.Fatalf("message %q", r.Message)
	}
	ticks(clk, m, 61)
	if m.Current().SIP.User != "fix" {
		t.Fatalf("rolled back to %q", m.Current().SIP.User)
	}
}

// TestRunSleepsWithoutAPendingChange: with no change waiting on its
// health check, Run keeps no ticker (an idle device wakes for nothing);
// a submitted change arms one until it is confirmed.
func TestRunSleepsWithoutAPendingChange(t *testing.T) {
	t.Parallel()
	clk := &tickerCount{FakeClock: clockwork.NewFakeClock()}
	probed := make(chan struct{}, 100)
	health := func(context.Context) error { probed <- struct{}{}; return nil }
	m, a, _ := newTestManager(t, ManagerOptions{Clock: clk, Health: health,
		RollbackAfter: time.Minute, Window: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	if _, err := m.Submit(ctx, "test", []byte("sip:\n  user: idle\n")); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	if err := clk.BlockUntilContext(ctx, 1); err != nil { // the health ticker
		t.Fatalf("no ticker while a change is pending: %v", err)
	}
	confirmed := waitUntil(func() bool { return !m.hasPending() })
	for m.hasPending() {
		clk.Advance(time.Second)
		select {
		case <-probed:
		case <-confirmed:
		case <-ctx.Done():
			t.Fatal("the pending change was never checked")
		}
	}
	select {
	case <-waitUntil(func() bool { return clk.live.Load() == 0 }):
	case <-ctx.Done():
		t.Fatalf("%d ticker(s) still run with nothing pending", clk.live.Load())
	}
	cancel()
	<-done
}

// tickerCount is a fake clock that counts its tickers not yet stopped.
type tickerCount struct {
	*clockwork.FakeClock
	live atomic.Int32
}

func (c *tickerCount) NewTicker(d time.Duration) clockwork.Ticker {
	c.live.Add(1)
	return &countedTicker{Ticker: c.FakeClock.NewTicker(d), live: &c.live}
}

type countedTicker struct {
	clockwork.Ticker
	live *atomic.Int32
	once sync.Once
}

func (t *countedTicker) Stop() {
	t.once.Do(func() { t.live.Add(-1) })
	t.Ticker.Stop()
}
