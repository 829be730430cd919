package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestBlindTransferFromBaresip: the door calls alice (baresip), who
// answers and transfers the call to bob (baresip /transfer, a REFER);
// the door calls bob with Referred-By, reports to alice with NOTIFY
// sipfrag, ends alice's dialog and the same call goes on with bob.
func TestBlindTransferFromBaresip(t *testing.T) {
	t.Parallel()
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true})
	h := start(t, testConfig(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c := callTo(t, h, Hunt, alice.URI)
	h.wait(t, 10*time.Second, "alice answered", callIs(CallAnswered))
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Command(ctx, "transfer", bob.URI); err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, 15*time.Second, "transferred", func(e Event) bool { return e.Transferred })
	if ev.CallID != c.ID() || !strings.Contains(ev.Peer, "bob@") || ev.State != CallAnswered {
		t.Errorf("transfer event %+v, want call %s answered by bob", ev, c.ID())
	}
	if c.Peer() != ev.Peer || c.State() != CallAnswered {
		t.Errorf("after the transfer the call is %s with %s", c.State(), c.Peer())
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	hangup(t, c)
	if err := bob.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
}

// TestReferRefused: a caller admitted by its network only (no verified
// identity) may call but not make the door call elsewhere: its REFER is
// answered 403 and logged, and the call stays.
func TestReferRefused(t *testing.T) {
	t.Parallel()
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice"})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true})
	h := start(t, testConfig(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := alice.Command(ctx, "dial", "sip:door@"+h.Addr().String()); err != nil {
		t.Fatal(err)
	}
	ans := h.wait(t, 10*time.Second, "answered", callIs(CallAnswered))
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Command(ctx, "transfer", bob.URI); err != nil {
		t.Fatal(err)
	}
	if err := alice.Log.WaitFor(ctx, "403"); err != nil {
		t.Fatalf("alice never saw the 403: %v", err)
	}
	if !strings.Contains(h.logs.String(), "REFER: the caller's identity is not verified") {
		t.Error("no log line for the refused REFER")
	}
	for _, cl := range h.Calls() {
		if cl.ID() == ans.CallID && cl.State() != CallAnswered {
			t.Errorf("the call is %s after a refused REFER", cl.State())
		}
	}
	if n := h.count(func(e Event) bool { return e.Transferred }); n != 0 {
		t.Errorf("%d transfers after a refused REFER", n)
	}
}
