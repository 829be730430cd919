package media

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestManagerCall runs two calls' media through Managers with the
// default silent audio: a digit crosses, stopping one side makes the
// other time out, and Close leaves no goroutine behind (TestMain).
func TestManagerCall(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.RTPTimeout = time.Second
	ma, mb := NewManager(cfg, nil, nil), NewManager(cfg, nil, nil)
	digits := make(chan byte, 4)
	timeout := make(chan struct{}, 1)
	ctx := context.Background()
	la, err := ma.Open(ctx, loopback, "a", CallHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer ma.Close("a")
	lb, err := mb.Open(ctx, loopback, "b", CallHooks{
		OnDTMF:    func(d byte) { digits <- d },
		OnTimeout: func() { timeout <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close("b")
	if _, err := ma.Open(ctx, loopback, "a", CallHooks{}); err == nil {
		t.Error("second Open of the same call succeeded")
	}
	if err := ma.Start("a", pcmuNeg(lb)); err != nil {
		t.Fatal(err)
	}
	if err := mb.Start("b", pcmuNeg(la)); err != nil {
		t.Fatal(err)
	}
	if err := ma.SendDTMF("a", '9'); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-digits:
		if d != '9' {
			t.Errorf("digit %q, want 9", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("digit did not arrive")
	}
	if st, err := mb.Stats("b"); err != nil || st.Received == 0 {
		t.Errorf("B stats %+v, %v", st, err)
	}
	ma.Close("a")
	select {
	case <-timeout:
	case <-time.After(10 * time.Second):
		t.Fatal("no RTP timeout after the peer stopped")
	}
	if err := ma.SendDTMF("a", '1'); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("SendDTMF on a closed call: %v", err)
	}
	if err := mb.Start("zz", Negotiated{}); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("Start on an unknown call: %v", err)
	}
	mb.Close("b")
	mb.Close("b")
}
