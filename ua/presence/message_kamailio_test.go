package presence

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// register binds user's contact (the endpoint's address) at Kamailio.
func register(ctx context.Context, t *testing.T, e *sipEndpoint, k *interop.Kamailio, user string) {
	t.Helper()
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: k.Port}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: k.Port})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: e.addr.Port}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := e.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = e.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: interop.Password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER %s: %v %v", user, err, res)
	}
}

// sendMessage sends a text/plain MESSAGE from e (as user) to target,
// via dest, answering a digest challenge; it returns the status code.
func sendMessage(ctx context.Context, t *testing.T, e *sipEndpoint, user string, port int, target sip.Uri, dest, text string) int {
	t.Helper()
	s := &SIPMessageSender{Client: e.client, From: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port},
		Destination: dest, User: user, Secret: interop.Password}
	err := s.SendMessage(ctx, target.String(), text)
	if err == nil {
		return 200
	}
	var re *ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("MESSAGE: %v", err)
	}
	return re.Code
}

// TestMessageCommandsThroughKamailio: "open" from alice, authenticated
// by Kamailio and relayed by it, opens the door and alice gets the reply
// through Kamailio; the same MESSAGE sent around Kamailio with a forged
// From is refused (200, not obeyed) unless it carries the secret, and a
// sender not on the allow-list gets 403.
func TestMessageCommandsThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kamailio := netip.MustParseAddrPort(k.UDP)

	door := newSIPEndpoint(t, "door")
	var mu sync.Mutex
	var opened []string
	doorSender := &SIPMessageSender{Client: door.client, From: sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port},
		Destination: k.UDP, User: "door", Secret: interop.Password}
	h := &SIPMessages{
		Commands: NewCommands(CommandConfig{Secret: "door-secret-0123"}, func() string { return "idle" }, nil),
		// As ua.UA.Admit: Kamailio is the trusted proxy, whose
		// P-Asserted-Identity is the sender; anyone else is admitted
		// (unverified) when it claims to be alice, as if by network.
		Admit: func(req *sip.Request, tx sip.ServerTransaction) (string, bool) {
			src, _ := netip.ParseAddrPort(req.Source())
			if src == kamailio {
				if h := req.GetHeader("P-Asserted-Identity"); h != nil {
					return strings.Trim(h.Value(), "<>"), true
				}
				return "", true
			}
			if f := req.From(); f != nil && f.Address.User == "alice" {
				return "", true
			}
			_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return "", false
		},
		MayOpen: func(id string) bool { return strings.HasPrefix(id, "sip:alice@") },
		Open:    func(who string) { mu.Lock(); opened = append(opened, who); mu.Unlock() },
		Reply:   doorSender.SendMessage,
	}
	door.server.OnMessage(h.OnMessage)
	alice := newSIPEndpoint(t, "alice")
	register(ctx, t, door, k, "door")
	register(ctx, t, alice, k, "alice")
	doorAOR := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}

	if c := sendMessage(ctx, t, alice, "alice", k.Port, doorAOR, k.UDP, "open"); c != 200 {
		t.Fatalf("open via Kamailio answered %d", c)
	}
	select {
	case r := <-alice.messages:
		if r != "Door opened." {
			t.Errorf("reply %q", r)
		}
	case <-ctx.Done():
		t.Fatal("no reply MESSAGE reached alice")
	}
	direct := fmt.Sprintf("127.0.0.1:%d", door.addr.Port)
	mallory := newSIPEndpoint(t, "mallory")
	if c := sendMessage(ctx, t, mallory, "alice", k.Port, doorAOR, direct, "open"); c != 200 {
		t.Errorf("forged open answered %d, want 200 (refused, logged)", c)
	}
	if c := sendMessage(ctx, t, mallory, "alice", k.Port, doorAOR, direct, "open door-secret-0123"); c != 200 {
		t.Errorf("open with secret answered %d", c)
	}
	if c := sendMessage(ctx, t, mallory, "mallory", k.Port, doorAOR, direct, "open door-secret-0123"); c != 403 {
		t.Errorf("unknown sender answered %d, want 403", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(opened) != 2 {
		t.Fatalf("door opened %d times (%v), want 2: via Kamailio and with the secret", len(opened), opened)
	}
}
