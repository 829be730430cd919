package main

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestDialogInfoCarriesTheCallsIDs: a BLF key subscribed to the binary
// for "dialog" sees the door's call to bob (a real baresip, reached
// through Kamailio) with the Call-ID and tags the binary used on the wire
// (its SIP trace: the INVITE's Call-ID and From tag, the 180's To tag),
// direction initiator, early while bob rings and confirmed once he
// answers; then terminated or gone once he hangs up. Then bob calls the
// door, which lets it ring: early, direction recipient, the door's To tag
// as the local tag. With these a phone can pick a ringing call up with
// INVITE + Replaces.
func TestDialogInfoCarriesTheCallsIDs(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  auto_answer: false
  allow_from: [127.0.0.1]
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  buttons:
    - targets: [bob]
      ring_timeout: 30s
`, k.UDP, interop.Password), "-sip-trace")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.await(t, "sip listening")["udp"].(string)
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	ap, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: ap.Port}
	key := newSIPPeer(t, "blf")
	key.subscribe(ctx, t, "blf", "127.0.0.1", door, addr, "dialog", presence.ContentTypeDialogInfo)
	if di := dialogInfo(t, key.nextNotify(ctx, t)); len(di.Dialogs) != 0 {
		t.Fatalf("idle door shows dialogs %+v", di.Dialogs)
	}

	press(t, p, 1)
	invite := traced(t, p, func(msg string) bool { return strings.HasPrefix(msg, "INVITE ") })
	callID, localTag := sipHeader(invite, "Call-ID"), tagOf(sipHeader(invite, "From"))
	ringing := traced(t, p, func(msg string) bool {
		return strings.HasPrefix(msg, "SIP/2.0 180") && sipHeader(msg, "Call-ID") == callID
	})
	remoteTag := tagOf(sipHeader(ringing, "To"))
	t.Logf("on the wire: Call-ID %s, door's tag %s, bob's tag %s", callID, localTag, remoteTag)
	if callID == "" || localTag == "" || remoteTag == "" {
		t.Fatalf("trace lacks the dialog's IDs:\n%s\n%s", invite, ringing)
	}
	direction := "initiator"
	want := func(state presence.DialogState) {
		t.Helper()
		for {
			n := key.nextNotify(ctx, t)
			di := dialogInfo(t, n)
			if len(di.Dialogs) != 1 || di.Dialogs[0].State != state {
				continue // trying, or a state already seen
			}
			d, body := di.Dialogs[0], string(n.Body())
			for _, attr := range []string{`call-id="` + callID + `"`, `local-tag="` + localTag + `"`,
				`remote-tag="` + remoteTag + `"`, `direction="` + direction + `"`, ">" + string(state) + "</state>"} {
				if !strings.Contains(body, attr) {
					t.Errorf("%s NOTIFY lacks %s:\n%s", state, attr, body)
				}
			}
			if !strings.Contains(d.Remote.URI, "bob") {
				t.Errorf("%s dialog's remote is %q, want bob", state, d.Remote.URI)
			}
			t.Logf("BLF key sees:\n%s", body)
			return
		}
	}
	want(presence.Early)
	if err := bob.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	want(presence.Confirmed)
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	gone := func() {
		t.Helper()
		for {
			di := dialogInfo(t, key.nextNotify(ctx, t))
			if len(di.Dialogs) == 0 || di.Dialogs[0].State == presence.Terminated {
				return
			}
		}
	}
	gone()

	// bob calls the door (not answered here: auto_answer is off): the
	// door's side of the ringing call, direction recipient, our To tag
	// as the local tag.
	if _, err := bob.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	invite = traced(t, p, func(msg string) bool { return strings.HasPrefix(msg, "INVITE sip:door@") })
	callID, remoteTag = sipHeader(invite, "Call-ID"), tagOf(sipHeader(invite, "From"))
	ringing = traced(t, p, func(msg string) bool {
		return strings.HasPrefix(msg, "SIP/2.0 180") && sipHeader(msg, "Call-ID") == callID
	})
	localTag, direction = tagOf(sipHeader(ringing, "To")), "recipient"
	t.Logf("on the wire: Call-ID %s, door's tag %s, bob's tag %s", callID, localTag, remoteTag)
	want(presence.Early)
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	gone()
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// dialogInfo parses a NOTIFY's dialog-info body.
func dialogInfo(t *testing.T, n *sip.Request) presence.DialogInfo {
	t.Helper()
	di, err := presence.ParseDialogInfo(n.Body())
	if err != nil {
		t.Fatalf("NOTIFY body: %v\n%s", err, n.Body())
	}
	return di
}

// traced returns the first SIP message in the binary's -sip-trace lines
// (the message is the line's last "msg") that match accepts.
func traced(t *testing.T, p *proc, match func(msg string) bool) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatal("sipbell exited")
			}
			if msg, _ := m["msg"].(string); match(msg) {
				return msg
			}
		case <-deadline:
			t.Fatal("no such SIP message in sipbell's trace")
		}
	}
}

var compactHeader = map[string]string{"call-id": "i", "from": "f", "to": "t"}

// sipHeader returns the value of the first header name (or its compact
// form) in a raw SIP message.
func sipHeader(msg, name string) string {
	re := regexp.MustCompile(`(?mi)^(?:` + regexp.QuoteMeta(name) + `|` + compactHeader[strings.ToLower(name)] + `)\s*:\s*(.*?)\r?$`)
	if m := re.FindStringSubmatch(msg); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// tagOf returns the tag parameter of a From or To value.
func tagOf(v string) string {
	if m := regexp.MustCompile(`;\s*tag=([^;>\s]+)`).FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}
