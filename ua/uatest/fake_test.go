package uatest

import (
	"context"
	"errors"
	"testing"

	"github.com/sipbell/sipbell/ua"
)

func next(t *testing.T, f *Fake) ua.Event {
	t.Helper()
	select {
	case e := <-f.Events():
		return e
	default:
		t.Fatal("no event")
		return ua.Event{}
	}
}

func TestFakeOutgoing(t *testing.T) {
	f := New()
	ctx := context.Background()
	c, err := f.Call(ctx, []string{"sip:alice@pbx", "sip:bob@pbx"}, ua.Hunt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Call(ctx, []string{"x"}, ua.Hunt); !errors.Is(err, ua.ErrBusy) {
		t.Errorf("second call: %v, want ErrBusy", err)
	}
	fc := c.(*Call)
	fc.Ring()
	fc.RemoteAnswer()
	if err := c.SendDTMF('5'); err != nil {
		t.Fatal(err)
	}
	fc.ReceiveDTMF('1')
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	var states []ua.CallState
	for i := 0; i < 4; i++ {
		e := next(t, f)
		if e.Kind == ua.EventCallState {
			states = append(states, e.State)
		} else if e.Kind != ua.EventDTMF || e.Digit != '1' {
			t.Errorf("unexpected event %v", e)
		}
	}
	want := []ua.CallState{ua.CallRinging, ua.CallAnswered, ua.CallEnded}
	if len(states) != 3 || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
		t.Errorf("states %v, want %v", states, want)
	}
	if fc.Sent() != "5" || len(f.Dialed()) != 1 || len(f.Calls()) != 0 {
		t.Errorf("sent %q dialed %v calls %d", fc.Sent(), f.Dialed(), len(f.Calls()))
	}
}

func TestFakeIncoming(t *testing.T) {
	f := New()
	c := f.Incoming("sip:alice@pbx")
	if e := next(t, f); e.Kind != ua.EventIncomingCall || e.Peer != "sip:alice@pbx" {
		t.Fatalf("first event %v", e)
	}
	if e := next(t, f); e.State != ua.CallRinging {
		t.Fatalf("second event %v", e)
	}
	if err := c.Reject(context.Background(), 603); err != nil {
		t.Fatal(err)
	}
	if e := next(t, f); e.State != ua.CallEnded || e.Code != 603 || c.Rejected() != 603 {
		t.Fatalf("reject event %v", e)
	}
	if err := c.Answer(context.Background()); !errors.Is(err, ua.ErrNotRinging) {
		t.Errorf("answer after reject: %v", err)
	}
}

// TestFakeMaxCalls: the fake is busy like the UA, at MaxCalls calls.
func TestFakeMaxCalls(t *testing.T) {
	for _, tc := range []struct {
		max, ok int
	}{{0, 1}, {1, 1}, {2, 2}} {
		f := New()
		f.MaxCalls = tc.max
		placed := 0
		for range 3 {
			if _, err := f.Call(context.Background(), []string{"x"}, ua.Hunt); err == nil {
				placed++
			} else if !errors.Is(err, ua.ErrBusy) {
				t.Fatal(err)
			}
		}
		if placed != tc.ok {
			t.Errorf("MaxCalls %d: %d calls placed, want %d", tc.max, placed, tc.ok)
		}
	}
}

// TestFakeRemoteTransfer: a transfer by the far end keeps the call and
// changes its peer.
func TestFakeRemoteTransfer(t *testing.T) {
	f := New()
	c, err := f.Call(context.Background(), []string{"sip:alice@pbx"}, ua.Hunt)
	if err != nil {
		t.Fatal(err)
	}
	fc := c.(*Call)
	fc.RemoteTransfer("sip:bob@pbx") // not answered: nothing happens
	fc.RemoteAnswer()
	fc.RemoteTransfer("sip:bob@pbx")
	next(t, f) // answered
	if e := next(t, f); !e.Transferred || e.Peer != "sip:bob@pbx" || e.State != ua.CallAnswered {
		t.Errorf("transfer event %+v", e)
	}
	if c.Peer() != "sip:bob@pbx" {
		t.Errorf("peer %q after the transfer", c.Peer())
	}
}
