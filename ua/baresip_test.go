package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestBaresipThroughKamailio: sipbell registered to Kamailio as door,
// baresip as alice; each calls the other through Kamailio, both calls
// are confirmed and end with BYE.
func TestBaresipThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true})
	cfg := testConfig()
	cfg.AllowFrom = nil // only the registrar may bring calls
	cfg.Accounts = []Account{{Registrar: k.UDP, User: "door", Password: interop.Password, Expires: time.Minute}}
	h := start(t, cfg, nil)
	h.wait(t, 10*time.Second, "registered", regIs(Registered))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// sipbell calls alice; alice answers; sipbell hangs up.
	c, err := h.Call(ctx, []string{"alice"}, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	ans := h.wait(t, 10*time.Second, "answered", callIs(CallAnswered))
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	hangup(t, c)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.waitErr(5*time.Second, func(e Event) bool {
		return e.Kind == EventCallState && e.State == CallEnded && e.CallID == ans.CallID && e.Reason == "hung up"
	}); err != nil {
		t.Fatalf("outgoing call did not end cleanly: %v\n%s", err, h.events())
	}

	// alice calls door through Kamailio; sipbell auto-answers; alice hangs up.
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	in := h.wait(t, 10*time.Second, "incoming", func(e Event) bool { return e.Kind == EventIncomingCall })
	if !strings.Contains(in.Peer, "alice") {
		t.Errorf("incoming call from %q, want alice", in.Peer)
	}
	// Kamailio authenticated alice and asserts her (P-Asserted-Identity).
	if c := in.Caller; !c.Trusted || c.Via != ByProxy || c.Identity != "sip:alice@127.0.0.1" {
		t.Errorf("incoming caller %+v, want sip:alice@127.0.0.1 asserted by the proxy", c)
	}
	h.wait(t, 10*time.Second, "answered", func(e Event) bool {
		return e.Kind == EventCallState && e.State == CallAnswered && e.CallID == in.CallID
	})
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, 10*time.Second, "ended", func(e Event) bool {
		return e.Kind == EventCallState && e.State == CallEnded && e.CallID == in.CallID
	})
	if ev.Reason != "BYE from peer" {
		t.Errorf("incoming call ended with %q, want BYE from peer", ev.Reason)
	}
}

// TestBaresipCallsDoorOverStream: sipbell registered over TCP or TLS
// receives the call on the connection it registered from (contact from
// rport) and its BYE gets back to the caller.
func TestBaresipCallsDoorOverStream(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{TLS: tr == "tls"})
			alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
			cfg := testConfig()
			cfg.AllowFrom = nil
			acc := Account{Registrar: k.TCP, Transport: tr, User: "door", Password: interop.Password, Expires: time.Minute}
			if tr == "tls" {
				acc.Registrar, acc.TLSCAFile = k.TLS, k.CA.CertFile
			}
			cfg.Accounts = []Account{acc}
			h := start(t, cfg, nil)
			h.wait(t, 10*time.Second, "registered", regIs(Registered))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
				t.Fatal(err)
			}
			in := h.wait(t, 10*time.Second, "answered", callIs(CallAnswered))
			if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatal(err)
			}
			// Trusted over the connection it registered on (address and
			// port; for TLS one whose certificate verified).
			inc := h.wait(t, time.Second, "incoming", func(e Event) bool { return e.Kind == EventIncomingCall })
			if c := inc.Caller; !c.Trusted || c.Via != ByProxy || c.Identity != "sip:alice@127.0.0.1" {
				t.Errorf("incoming caller over %s %+v, want sip:alice@127.0.0.1 asserted by the proxy", tr, c)
			}
			for _, c := range h.Calls() {
				if c.ID() == in.CallID {
					hangup(t, c)
				}
			}
			if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
				t.Fatalf("BYE over %s did not reach alice: %v", tr, err)
			}
			h.wait(t, 5*time.Second, "ended", callIs(CallEnded))

			// And out: sipbell calls alice over the same transport.
			c, err := h.Call(ctx, []string{"alice"}, Hunt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := alice.WaitEventData(ctx, "CALL_INCOMING"); err != nil {
				t.Fatalf("INVITE over %s did not reach alice: %v", tr, err)
			}
			if _, err := alice.Command(ctx, "accept", ""); err != nil {
				t.Fatal(err)
			}
			h.wait(t, 10*time.Second, "outgoing answered", func(e Event) bool {
				return e.Kind == EventCallState && e.State == CallAnswered && e.CallID == c.ID()
			})
			hangup(t, c)
		})
	}
}
