package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestMessageReplyToUnregisteredSender: the binary is registered with
// Kamailio; bob, a phone on the allowed network that is not registered
// there, sends "status" straight to the binary. The reply MESSAGE comes
// back to the address bob's request came from, not through Kamailio
// (which would answer 404: bob has no binding), and not to the address
// bob's From names.
func TestMessageReplyToUnregisteredSender(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  allow_from: [127.0.0.1]
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
`, k.UDP, interop.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := p.await(t, "sip listening")["udp"].(string)
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	bob := newSIPPeer(t, "bob")
	// bob's From is his address of record at Kamailio (not registered).
	if c := bob.message(ctx, t, "bob", k.UDP, door, addr, "status"); c != 200 {
		t.Fatalf("status answered %d", c)
	}
	if r := bob.nextMessage(ctx, t); !strings.HasPrefix(r, "Door station:") {
		t.Errorf("reply to status: %q", r)
	}
	if n := k.Log.Count("IN MESSAGE"); n != 0 {
		t.Errorf("the reply went through Kamailio (%d MESSAGEs there)", n)
	}
	p.noLog(t, "MESSAGE reply failed")
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
