package notify

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestShutdownNoLeak: with a request in flight, retries pending and
// events queued, cancelling Run stops every goroutine. Not parallel, so
// goleak sees only this test's goroutines.
func TestShutdownNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rc := newReceiver(t)
	rc.block = make(chan struct{}) // the server never answers
	slow := hook(rc.srv.URL)
	slow.Timeout = time.Minute
	failing := newReceiver(t, 500, 500, 500, 500)
	n, err := New(config(slow, hook(failing.srv.URL)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	for i := 0; i < 5; i++ {
		n.Notify(opened("x"))
	}
	rc.next(t)
	failing.next(t)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	n.opts.Client.CloseIdleConnections()
	rc.srv.CloseClientConnections()
	rc.srv.Close()
	failing.srv.Close()
}
