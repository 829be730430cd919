package provisioning

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua"
)

// uaApplier applies a configuration the way cmd/sipbell's Applier does for
// the sip section: it stops the running user agent (which unregisters)
// and starts one with the new section, in the same process.
type uaApplier struct {
	t          *testing.T
	mu         sync.Mutex
	cancel     context.CancelFunc
	done       chan struct{}
	registered atomic.Bool
	starts     atomic.Int32
}

func (a *uaApplier) Apply(ctx context.Context, f File) error {
	a.stop()
	u, err := ua.New(f.SIP, "e2e", quietLog())
	if err != nil {
		return err
	}
	if err := u.Listen(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runDone := make(chan struct{})
		go func() { _ = u.Run(runCtx); close(runDone) }()
		for {
			select {
			case ev := <-u.Events():
				if ev.Kind == ua.EventRegistration {
					a.registered.Store(ev.Reg == ua.Registered)
				}
			case <-runDone:
				return
			}
		}
	}()
	a.mu.Lock()
	a.cancel, a.done = cancel, done
	a.mu.Unlock()
	a.starts.Add(1)
	return nil
}

func (a *uaApplier) stop() {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.cancel, a.done = nil, nil
	a.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	a.registered.Store(false)
}

// TestPullAccountChangeRegistersWithoutRestart: pull provisioning delivers
// a SIP account, then a different one; the device registers to a real
// Kamailio with each in turn (and drops the old binding) without the
// process restarting. A later account with a wrong password is applied,
// never registers, and is rolled back to the last good one.
func TestPullAccountChangeRegistersWithoutRestart(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	s := newProvServer(t)
	account := func(user, password string) string {
		return fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  accounts:\n    - registrar: %s\n      user: %s\n      password: %s\n      expires: 60s\n", k.UDP, user, password)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	ap := &uaApplier{t: t}
	t.Cleanup(ap.stop)
	initial := Default()
	initial.SIP.Listen = "127.0.0.1:0"
	if err := ap.Apply(ctx, initial); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sipbell.yaml")
	m, err := NewManager(ManagerOptions{Path: path, Initial: initial, Applier: ap, Health: healthFrom(ap.registered.Load), RollbackAfter: 3 * time.Second, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() { _ = m.Run(runCtx) }()
	p, err := NewPuller(PullerOptions{Config: pullConfig(s.URL + "/{mac}.yaml"), Identity: testID, Target: m, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}

	s.set("/b827eb12abcd.yaml", account("alice", interop.Password))
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.WaitContacts(ctx, "alice", 1); err != nil {
		t.Fatalf("alice never registered: %v", err)
	}

	s.set("/b827eb12abcd.yaml", account("bob", interop.Password))
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.WaitContacts(ctx, "bob", 1); err != nil {
		t.Fatalf("bob never registered: %v", err)
	}
	if _, err := k.WaitContacts(ctx, "alice", 0); err != nil {
		t.Fatalf("alice's binding stayed: %v", err)
	}
	<-waitUntil(func() bool { return !m.hasPending() }) // bob confirmed healthy
	if f, err := Load(path); err != nil || f.SIP.Accounts[0].User != "bob" {
		t.Fatalf("persisted: %v", err)
	}

	// A wrong password: applied, never registers, rolled back to bob.
	s.set("/b827eb12abcd.yaml", account("bob", "wrong-password"))
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	<-waitUntil(func() bool { return m.Last().Outcome == OutcomeRolledBack || ctx.Err() != nil })
	if m.Last().Outcome != OutcomeRolledBack {
		t.Fatalf("no rollback: %+v", m.Last())
	}
	if _, err := k.WaitContacts(ctx, "bob", 1); err != nil {
		t.Fatalf("bob not registered again after rollback: %v", err)
	}
	<-waitUntil(func() bool { return ap.registered.Load() || ctx.Err() != nil })
	f, err := Load(path)
	if err != nil || f.SIP.Accounts[0].Password != interop.Password {
		t.Fatalf("rolled-back file: %v", err)
	}
	if n := ap.starts.Load(); n != 5 {
		t.Errorf("user agent started %d times, want 5 (initial, alice, bob, wrong, rollback)", n)
	}
}
