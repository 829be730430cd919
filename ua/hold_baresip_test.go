package ua

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/media"
)

// TestBaresipHoldAndSessionRefresh: through Kamailio (record-routed) to
// baresip, our session refreshes keep the call up and Hold/Resume are
// accepted by a real softphone, whose answers our media follows.
func TestBaresipHoldAndSessionRefresh(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: k.UDP, User: "door", Password: interop.Password, Expires: time.Minute}}
	// baresip does not do session timers: we are the refresher, every second.
	h := start(t, cfg, shortTimers(2*time.Second, time.Second))
	h.wait(t, 10*time.Second, "registered", regIs(Registered))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := h.Call(ctx, []string{"alice"}, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	h.wait(t, 10*time.Second, "answered", callIs(CallAnswered))
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	// Three refreshes reach baresip through the proxy and the call stays
	// up. baresip 1.0 does not allow UPDATE: they are re-INVITEs (Kamailio
	// logs the challenged INVITE, the INVITE with credentials, then them).
	if err := k.Log.WaitFor(ctx, "IN INVITE", 5); err != nil {
		t.Fatalf("no session refreshes through Kamailio: %v\n%s", err, k.Log)
	}
	holdCall(t, c, true)
	if n, _ := c.Media(); n.Direction != media.SendOnly {
		t.Errorf("held, our media is %v, want sendonly", n.Direction)
	}
	holdCall(t, c, false)
	if n, _ := c.Media(); n.Direction != media.SendRecv {
		t.Errorf("resumed, our media is %v, want sendrecv", n.Direction)
	}
	if s := c.State(); s != CallAnswered {
		t.Fatalf("call %v after refreshes and hold", s)
	}
	hangup(t, c)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	if ev := h.wait(t, 5*time.Second, "ended", callIs(CallEnded)); ev.Reason != "hung up" {
		t.Errorf("ended with %q, want hung up", ev.Reason)
	}
}
