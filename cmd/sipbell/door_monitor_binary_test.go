package main

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestDoorMonitorBinary: with device.door.monitor on (sip.max_calls left
// at its default of 1), a second call from alice, whom Kamailio
// authenticates and asserts and door.allowed lists, is answered while a
// call is up; the first call stays on.
func TestDoorMonitorBinary(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, _ := registeredDoor(ctx, t, k, "    allowed: [alice]\n    monitor: true\n")
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	alice := sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: k.Port}

	first, code := newSIPCaller(t, "127.0.0.1").invite(ctx, t, door, alice, k.UDP, "alice", interop.Password)
	if first == nil {
		t.Fatalf("the first call: answered %d, want 200", code)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"incoming": "true"})
	second, code := newSIPCaller(t, "127.0.0.1").invite(ctx, t, door, alice, k.UDP, "alice", interop.Password)
	if second == nil {
		t.Fatalf("the monitoring call during the first: answered %d, want 200", code)
	}
	p.awaitLog(ctx, t, "monitoring call: answering during the visitor call",
		map[string]string{"caller": "sip:alice@127.0.0.1 (verified by proxy)"})
	if c := infoDigit(ctx, t, first, "5"); c != 200 {
		t.Errorf("the first call's INFO answered %d: it should still be up", c)
	}
}
