package ua

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestTransferorWithBaresip: Call.Transfer REFERs alice (baresip) to bob;
// alice calls bob, reports 200 in a NOTIFY, and our call ends.
func TestTransferorWithBaresip(t *testing.T) {
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
	if err := c.Transfer(ctx, bob.URI); err != nil {
		t.Fatalf("transfer: %v\nalice:\n%s", err, alice.Log)
	}
	if c.State() != CallEnded {
		t.Errorf("after the transfer our call is %s, want ended", c.State())
	}
	data, err := bob.WaitEventData(ctx, "CALL_ESTABLISHED")
	if err != nil {
		t.Fatal(err)
	}
	if peer, _ := data["peeruri"].(string); peer == "" || peer[:len("sip:alice")] != "sip:alice" {
		t.Errorf("bob is in a call with %q, want alice", peer)
	}
}

// TestTransferorFollowsNotify: against a sipp transferee, Transfer
// sends REFER with Refer-To and Referred-By and goes by the final status
// of the NOTIFYs: 200 ends our call (BYE), 486 leaves it as it was.
func TestTransferorFollowsNotify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		final string
		ok    bool
	}{{"200 OK", true}, {"486 Busy Here", false}} {
		t.Run(tc.final, func(t *testing.T) {
			t.Parallel()
			s := uas(t, scenario("uas_transferee.xml"), map[string]string{"final": tc.final})
			h := start(t, testConfig(), nil)
			c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
			h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := c.Transfer(ctx, "sip:target@127.0.0.1:9")
			switch {
			case tc.ok && err != nil:
				t.Errorf("transfer reported 200: %v", err)
			case !tc.ok && !errors.Is(err, ErrTransferFailed):
				t.Errorf("transfer reported 486: %v, want ErrTransferFailed", err)
			case tc.ok && c.State() != CallEnded:
				t.Errorf("after a transfer that worked the call is %s, want ended", c.State())
			case !tc.ok && c.State() != CallAnswered:
				t.Errorf("after a failed transfer the call is %s, want answered", c.State())
			}
			if !tc.ok {
				hangup(t, c)
			}
			sippDone(t, s)
		})
	}
}
