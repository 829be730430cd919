package ua

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// harness is a running UA under test with its event history.
type harness struct {
	*UA
	logs   *syncBuf
	mu     sync.Mutex
	hist   []Event
	notify chan struct{}
	stop   func()
	done   chan error
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is a loopback configuration that admits callers from
// 127.0.0.1 and answers them by itself (the user agent on its own).
func testConfig() Config {
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.AllowFrom = []string{"127.0.0.1"}
	c.Limits.MemoryLimitMiB = -1 // the tests share one process: leave its GC alone
	c.AutoAnswer = true
	return c
}

// start builds and runs a UA; tweak may adjust the timing before Run.
func start(t *testing.T, cfg Config, tweak func(*UA), opts ...Option) *harness {
	t.Helper()
	h := &harness{logs: &syncBuf{}, notify: make(chan struct{}, 1), done: make(chan error, 1)}
	var w io.Writer = h.logs
	if os.Getenv("UA_TEST_LOG") != "" {
		w = io.MultiWriter(h.logs, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	u, err := New(cfg, "test", log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.UA = u
	if tweak != nil {
		tweak(u)
	}
	if u.Addr() == nil { // tweak may have listened already
		if err := u.Listen(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			select {
			case ev := <-u.Events():
				h.mu.Lock()
				h.hist = append(h.hist, ev)
				h.mu.Unlock()
				select {
				case h.notify <- struct{}{}:
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	runCtx, stopRun := context.WithCancel(context.Background())
	go func() { h.done <- u.Run(runCtx) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			stopRun()
			select {
			case err := <-h.done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after cancel")
			}
			time.AfterFunc(100*time.Millisecond, cancel)
		})
	}
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("---- sipbell log ----\n%s\n---- events ----\n%s", h.logs.String(), h.events())
		}
	})
	return h
}

// waitLog waits (5 s at most) until the UA has logged want.
func waitLog(t *testing.T, h *harness, want string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !strings.Contains(h.logs.String(), want); {
		if time.Now().After(end) {
			t.Fatalf("the UA did not log %q", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) events() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, e := range h.hist {
		fmt.Fprintf(&b, "%s %s\n", e.Time.Format("15:04:05.000"), e)
	}
	return b.String()
}

// wait returns the first event (after index from) matching f.
func (h *harness) wait(t *testing.T, timeout time.Duration, what string, f func(Event) bool) Event {
	t.Helper()
	ev, err := h.waitErr(timeout, f)
	if err != nil {
		t.Fatalf("waiting for %s: %v\nevents:\n%s", what, err, h.events())
	}
	return ev
}

func (h *harness) waitErr(timeout time.Duration, f func(Event) bool) (Event, error) {
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		for _, e := range h.hist {
			if f(e) {
				h.mu.Unlock()
				return e, nil
			}
		}
		h.mu.Unlock()
		select {
		case <-h.notify:
		case <-deadline:
			return Event{}, fmt.Errorf("timeout after %v", timeout)
		}
	}
}

// count returns how many events match f.
func (h *harness) count(f func(Event) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.hist {
		if f(e) {
			n++
		}
	}
	return n
}

func regIs(st RegState) func(Event) bool {
	return func(e Event) bool { return e.Kind == EventRegistration && e.Reg == st }
}

func callIs(st CallState) func(Event) bool {
	return func(e Event) bool { return e.Kind == EventCallState && e.State == st }
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
