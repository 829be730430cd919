package provisioning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// recApplier records every configuration applied and can be told to fail.
type recApplier struct {
	mu      sync.Mutex
	applied []File
	fail    func(File) error
	ch      chan File
}

func newRecApplier() *recApplier { return &recApplier{ch: make(chan File, 16)} }

func (a *recApplier) Apply(ctx context.Context, f File) error {
	a.mu.Lock()
	fail := a.fail
	a.mu.Unlock()
	if fail != nil {
		if err := fail(f); err != nil {
			return err
		}
	}
	a.mu.Lock()
	a.applied = append(a.applied, f)
	a.mu.Unlock()
	a.ch <- f
	return nil
}

func (a *recApplier) users() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, f := range a.applied {
		out = append(out, f.SIP.User)
	}
	return out
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestManager(t *testing.T, opts ManagerOptions) (*Manager, *recApplier, string) {
	t.Helper()
	a := newRecApplier()
	path := filepath.Join(t.TempDir(), "sipbell.yaml")
	opts.Path, opts.Applier, opts.Initial = path, a, Default()
	if opts.Log == nil {
		opts.Log = quietLog()
	}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, a, path
}

func TestManagerSubmit(t *testing.T) {
	t.Parallel()
	m, a, path := newTestManager(t, ManagerOptions{})
	ctx := context.Background()

	r, err := m.Submit(ctx, "test", []byte("sip:\n  user: gate\n"))
	if err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("valid change: %+v, %v", r, err)
	}
	if m.Current().SIP.User != "gate" {
		t.Fatalf("current user %q", m.Current().SIP.User)
	}
	f, err := Load(path)
	if err != nil || f.SIP.User != "gate" {
		t.Fatalf("persisted file: %+v, %v", f.SIP, err)
	}

	// Same content again (even written differently): not re-applied.
	r, err = m.Submit(ctx, "test", []byte("sip: {user: gate}\n"))
	if err != nil || r.Outcome != OutcomeUnchanged {
		t.Fatalf("unchanged: %+v, %v", r, err)
	}

	// Invalid: refused whole, nothing applied or written.
	before, _ := os.ReadFile(path)
	r, err = m.Submit(ctx, "test", []byte("sip:\n  user: other\n  listen: nowhere\n"))
	if !errors.Is(err, ErrInvalid) || r.Outcome != OutcomeInvalid || len(r.Errors) != 1 || r.Errors[0].Path != "sip.listen" || r.Errors[0].Line != 3 {
		t.Fatalf("invalid: %+v, %v", r, err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) || m.Current().SIP.User != "gate" {
		t.Fatal("invalid config changed the running or saved config")
	}
	if m.Last().Outcome != OutcomeInvalid {
		t.Fatalf("last result %+v", m.Last())
	}
	if got := a.users(); len(got) != 1 || got[0] != "gate" {
		t.Fatalf("applied %v, want [gate]", got)
	}
	// The one before is the last-known-good.
	lkg, err := LoadLastKnownGood(path)
	if err == nil {
		t.Fatalf("no lkg expected after the first write, got %+v", lkg.SIP)
	}
	if _, err := m.Submit(ctx, "test", []byte("sip:\n  user: third\n")); err != nil {
		t.Fatal(err)
	}
	lkg, err = LoadLastKnownGood(path)
	if err != nil || lkg.SIP.User != "gate" {
		t.Fatalf("lkg %+v, %v", lkg.SIP, err)
	}
}

func TestManagerApplyFailureRestoresPrevious(t *testing.T) {
	t.Parallel()
	m, a, path := newTestManager(t, ManagerOptions{})
	a.fail = func(f File) error {
		if f.SIP.User == "broken" {
			return errors.New("cannot open pin 99")
		}
		return nil
	}
	r, err := m.Submit(context.Background(), "test", []byte("sip:\n  user: broken\n"))
	if err == nil || r.Outcome != OutcomeApplyFailed {
		t.Fatalf("got %+v, %v", r, err)
	}
	if got := a.users(); len(got) != 1 || got[0] != Default().SIP.User {
		t.Fatalf("applied %v, want the previous config re-applied", got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a failed config was persisted: %v", err)
	}
}

func TestManagerHealthRollback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		recovers     bool
		wantRollback bool
	}{
		{"never healthy again", false, true},
		{"healthy again in time", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clockwork.NewFakeClock()
			var healthy atomic.Bool
			healthy.Store(true)
			m, a, path := newTestManager(t, ManagerOptions{
				Clock: clk, Health: healthFrom(healthy.Load), RollbackAfter: time.Minute,
			})
			ctx := context.Background()
			if _, err := m.Submit(ctx, "test", []byte("sip:\n  user: newacct\n")); err != nil {
				t.Fatal(err)
			}
			<-a.ch
			healthy.Store(tc.recovers)
			ticks(clk, m, 140) // past the minute, and past the rollback's own check
			if m.hasPending() {
				t.Fatal("still pending")
			}
			var rolled bool
			select {
			case f := <-a.ch:
				rolled = f.SIP.User == Default().SIP.User
			default:
			}
			if rolled != tc.wantRollback {
				t.Fatalf("rolled back = %v, want %v (applied %v)", rolled, tc.wantRollback, a.users())
			}
			if tc.wantRollback {
				<-waitUntil(func() bool { return m.Last().Outcome == OutcomeRolledBack })
				f, err := Load(path)
				if err != nil || f.SIP.User != Default().SIP.User || m.Current().SIP.User != Default().SIP.User {
					t.Fatalf("after rollback: file %+v (%v), current %q", f.SIP, err, m.Current().SIP.User)
				}
			} else if m.Current().SIP.User != "newacct" {
				t.Fatalf("healthy change lost: %q", m.Current().SIP.User)
			}
		})
	}
}

func (m *Manager) hasPending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending != nil
}

// waitUntil returns a channel closed once cond holds (polled; bounded by
// the test's own timeout).
func waitUntil(cond func() bool) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for !cond() {
			time.Sleep(time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

// TestPersistedFormRoundTrips: what the Manager writes (the whole file,
// every section) loads back to the same configuration at the next boot.
func TestPersistedFormRoundTrips(t *testing.T) {
	t.Parallel()
	withAccount, err := Parse([]byte("sip:\n  accounts:\n    - registrar: 127.0.0.1:5060\n      user: door\n      password: pw\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []File{Default(), withAccount} {
		m, _, path := newTestManager(t, ManagerOptions{})
		f.SIP.DisplayName = "changed" // so it differs from the initial config
		if _, err := m.Replace(context.Background(), "test", f); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatalf("persisted file does not load: %v", err)
		}
		h1, _ := hashFile(f)
		h2, _ := hashFile(back)
		if h1 != h2 {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", f, back)
		}
	}
}

// TestManagerPendingRollbackSurvivesRestart: a change is applied while the
// device is healthy, then the process dies inside the rollback window (a
// power cut). The next start still rolls the change back to the
// last-known-good file when the device does not become healthy, and
// confirms it (forgetting the marker) when it does.
func TestManagerPendingRollbackSurvivesRestart(t *testing.T) {
	t.Parallel()
	for _, recovers := range []bool{false, true} {
		t.Run(fmt.Sprintf("recovers=%v", recovers), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "sipbell.yaml")
			if err := os.WriteFile(path, []byte("sip:\n  user: good\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			good, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			before, err := NewManager(ManagerOptions{Path: path, Initial: good, Applier: newRecApplier(),
				Health: healthFrom(func() bool { return true }), RollbackAfter: time.Minute, Log: quietLog()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := before.Submit(context.Background(), "test", []byte("sip:\n  user: bad\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + PendingSuffix); err != nil {
				t.Fatalf("no pending marker after a change: %v", err)
			}

			// The process died; the next start runs the new file.
			running, err := Load(path)
			if err != nil || running.SIP.User != "bad" {
				t.Fatalf("file after the change: %+v, %v", running.SIP, err)
			}
			clk := clockwork.NewFakeClock()
			a := newRecApplier()
			after, err := NewManager(ManagerOptions{Path: path, Initial: running, Applier: a, Clock: clk,
				Health: healthFrom(func() bool { return recovers }), RollbackAfter: time.Minute, Log: quietLog()})
			if err != nil {
				t.Fatal(err)
			}
			if !after.hasPending() {
				t.Fatal("the restarted manager forgot the pending change")
			}
			ticks(clk, after, 140)
			if after.hasPending() {
				t.Fatal("still pending")
			}
			f, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := "good"
			if recovers {
				want = "bad"
			}
			if f.SIP.User != want || after.Current().SIP.User != want {
				t.Fatalf("recovers=%v: file has %q, running %q, want %q (applied %v)",
					recovers, f.SIP.User, after.Current().SIP.User, want, a.users())
			}
			if _, err := os.Stat(path + PendingSuffix); !os.IsNotExist(err) {
				t.Fatalf("pending marker left behind: %v", err)
			}
		})
	}
}
