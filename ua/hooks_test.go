package ua

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func hooksConfig() Config {
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.Accounts = []Account{{Registrar: "127.0.0.1:5070", User: "door", AuthUser: "d00r", Password: "pw",
		Domain: "pbx.example", OutboundProxy: "10.0.0.1"}}
	c.AllowFrom = []string{"sip:alice@pbx.example", "lobby.example", "192.168.1.0/24"}
	return c
}

func TestTrustedAndAdmits(t *testing.T) {
	u, err := New(hooksConfig(), "test", discard())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"127.0.0.1:5070", true},
		{"127.0.0.1:5071", false}, // another program on the registrar's host
		{"10.0.0.1:5060", true},   // outbound proxy, default port
		{"[::ffff:10.0.0.1]:5060", true},
		{"10.0.0.2:5060", false},
	} {
		if got := u.Trusted(netip.MustParseAddrPort(tc.src)); got != tc.want {
			t.Errorf("Trusted(%s) = %v, want %v", tc.src, got, tc.want)
		}
	}
	any := netip.MustParseAddrPort("203.0.113.9:5060")
	for _, tc := range []struct {
		from string
		src  netip.AddrPort
		want bool
	}{
		// A From header proves nothing: caller URIs admit nobody.
		{"sip:alice@pbx.example", any, false},
		{"<sip:alice@PBX.example>", any, false},
		{"sip:anyone@lobby.example", any, false},
		{"sip:mallory@evil.example", netip.MustParseAddrPort("192.168.1.7:5060"), true}, // by network
		{"sip:mallory@evil.example", netip.MustParseAddrPort("127.0.0.1:5070"), true},   // the registrar
		{"sip:mallory@evil.example", any, false},
		{"not a uri", any, false},
		{"", netip.AddrPort{}, false},
	} {
		if got := u.Admits(tc.from, tc.src); got != tc.want {
			t.Errorf("Admits(%q, %s) = %v, want %v", tc.from, tc.src, got, tc.want)
		}
	}
}

func TestPrimaryAndServerAddr(t *testing.T) {
	u, err := New(hooksConfig(), "test", discard())
	if err != nil {
		t.Fatal(err)
	}
	id, ok := u.Primary()
	if !ok || id.AOR.String() != "sip:door@pbx.example" || id.AuthUser != "d00r" || id.Password != "pw" ||
		id.Transport != "udp" || id.Destination != "10.0.0.1:5060" {
		t.Errorf("Primary() = %+v, %v", id, ok)
	}
	if _, err := u.Client("udp"); !errors.Is(err, ErrNotListening) {
		t.Errorf("Client before Listen: %v, want ErrNotListening", err)
	}
	p2p, err := New(testConfig(), "test", discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p2p.Primary(); ok {
		t.Error("Primary() in peer-to-peer mode reports an account")
	}
	for _, tc := range []struct{ in, tr, want string }{
		{"pbx.example", "udp", "pbx.example:5060"},
		{"sip:pbx.example:5080", "udp", "pbx.example:5080"},
		{"pbx.example", "tls", "pbx.example:5061"},
		{"[::1]:5062", "tcp", "[::1]:5062"},
	} {
		if got, err := ServerAddr(tc.in, tc.tr); err != nil || got != tc.want {
			t.Errorf("ServerAddr(%q, %s) = %q, %v; want %q", tc.in, tc.tr, got, err, tc.want)
		}
	}
	if _, err := ServerAddr("sip:a@b", "udp"); err == nil {
		t.Error("ServerAddr accepted a user part")
	}
}

// TestHandlersInstalled: SUBSCRIBE and MESSAGE reach installed handlers
// and are announced in Allow (and Allow-Events); without them they get
// 405 and are not announced.
func TestHandlersInstalled(t *testing.T) {
	t.Parallel()
	answer := func(code int, reason string) func(*sip.Request, sip.ServerTransaction) {
		return func(req *sip.Request, tx sip.ServerTransaction) {
			_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
		}
	}
	plain := start(t, testConfig(), nil)
	hooked := start(t, testConfig(), func(u *UA) {
		u.HandleSubscribe(answer(202, "Hooked Subscribe"))
		u.HandleMessage(answer(202, "Hooked Message"))
	})
	for _, tc := range []struct {
		h      *harness
		method string
		want   string
	}{
		{plain, "SUBSCRIBE", "SIP/2.0 405"},
		{plain, "MESSAGE", "SIP/2.0 405"},
		{hooked, "SUBSCRIBE", "SIP/2.0 202 Hooked Subscribe"},
		{hooked, "MESSAGE", "SIP/2.0 202 Hooked Message"},
	} {
		c := dial(t, tc.h)
		exchange(t, c, request(tc.method, tc.h.Addr().String(), c.LocalAddr(), "h-"+tc.method, "Event: dialog\r\n", ""), tc.want)
	}
	c := dial(t, hooked)
	res := exchange(t, c, request("OPTIONS", hooked.Addr().String(), c.LocalAddr(), "h-o1", "", ""), "SIP/2.0 200")
	for _, want := range []string{"SUBSCRIBE", "MESSAGE", "Allow-Events: presence, dialog"} {
		if !strings.Contains(res, want) {
			t.Errorf("OPTIONS answer with handlers lacks %q:\n%s", want, res)
		}
	}
	c = dial(t, plain)
	res = exchange(t, c, request("OPTIONS", plain.Addr().String(), c.LocalAddr(), "h-o2", "", ""), "SIP/2.0 200")
	if strings.Contains(res, "SUBSCRIBE") || strings.Contains(res, "Allow-Events") {
		t.Errorf("OPTIONS answer without handlers announces them:\n%s", res)
	}
}

// TestHandlersCheckedOverTCP: a malformed SUBSCRIBE or MESSAGE gets the
// same refusal over TCP as over UDP (where the guard checks it before
// parsing), and never reaches the installed handler.
func TestHandlersCheckedOverTCP(t *testing.T) {
	t.Parallel()
	reached := make(chan string, 16)
	h := start(t, testConfig(), func(u *UA) {
		hook := func(req *sip.Request, tx sip.ServerTransaction) {
			reached <- req.CallID().Value()
			_ = tx.Respond(sip.NewResponseFromRequest(req, 202, "Hooked", nil))
		}
		u.HandleSubscribe(hook)
		u.HandleMessage(hook)
	})
	addr := h.Addr().String()
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"unknown-require", "Event: presence\r\nRequire: nonsense\r\n", "SIP/2.0 420"},
		{"max-forwards-over-255", "Event: presence\r\nMax-Forwards: 300\r\n", "SIP/2.0 400"},
	} {
		for _, method := range []string{"SUBSCRIBE", "MESSAGE"} {
			udp := dial(t, h)
			id := "chk-udp-" + method + "-" + tc.name
			exchange(t, udp, request(method, addr, udp.LocalAddr(), id, tc.extra, ""), tc.want)

			tcp, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			id = "chk-tcp-" + method + "-" + tc.name
			msg := strings.ReplaceAll(request(method, addr, tcp.LocalAddr(), id, tc.extra, ""), "SIP/2.0/UDP", "SIP/2.0/TCP")
			if res := exchange(t, tcp, msg, "SIP/2.0 "); !strings.HasPrefix(res, tc.want) {
				t.Errorf("%s %s over TCP: answered\n%s\nwant %q as over UDP", method, tc.name, res, tc.want)
			}
			tcp.Close()
		}
	}
	select {
	case id := <-reached:
		t.Errorf("a malformed request reached the handler: %s", id)
	default:
	}
}
