package ua

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// miniRegistrar answers every REGISTER 200 (no auth), answers OPTIONS 200
// when options is set (ignores them otherwise), and reports each
// keep-alive (a CRLF ping or an OPTIONS) on pings, by kind.
func miniRegistrar(t *testing.T, options bool) (addr string, pings <-chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan string, 16)
	report := func(kind string) {
		select {
		case ch <- kind:
		default:
		}
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if strings.Trim(msg, "\r\n") == "" {
				report("crlf")
				continue
			}
			status := "200 OK"
			switch {
			case strings.HasPrefix(msg, "OPTIONS "):
				report("options")
				if !options {
					continue
				}
			case !strings.HasPrefix(msg, "REGISTER "):
				continue
			}
			var res strings.Builder
			res.WriteString("SIP/2.0 " + status + "\r\n")
			for _, line := range strings.Split(msg, "\r\n") {
				k, _, _ := strings.Cut(line, ":")
				switch strings.ToLower(k) {
				case "via", "from", "to", "call-id", "cseq", "contact":
					res.WriteString(line + "\r\n")
				}
			}
			res.WriteString("Expires: 3600\r\nContent-Length: 0\r\n\r\n")
			pc.WriteTo([]byte(res.String()), from)
		}
	}()
	return pc.LocalAddr().String(), ch
}

// startAtMini starts a UA whose one account ("door", an hour) registers
// at a miniRegistrar answering OPTIONS or not; tweak and opts are
// start's. It returns the harness and the registrar's pings.
func startAtMini(t *testing.T, options bool, tweak func(*UA), opts ...Option) (*harness, <-chan string) {
	t.Helper()
	addr, pings := miniRegistrar(t, options)
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: addr, User: "door", Expires: time.Hour}}
	return start(t, cfg, tweak, opts...), pings
}

// awaitValue reads ch until it delivers want and reports whether that
// came within d.
func awaitValue[T comparable](ch <-chan T, want T, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case got := <-ch:
			if got == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// waitPing waits for a keep-alive of kind at the registrar.
func waitPing(t *testing.T, pings <-chan string, kind string) {
	t.Helper()
	if !awaitValue(pings, kind, 15*time.Second) {
		t.Fatalf("no %s keep-alive reached the registrar", kind)
	}
}

// TestUDPKeepAlive: the keep-alive is an OPTIONS through the registrar;
// answered, the registration stands as it is.
func TestUDPKeepAlive(t *testing.T) {
	t.Parallel()
	h, pings := startAtMini(t, true, func(u *UA) { u.cfg.KeepAlive = 200 * time.Millisecond })
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
	for i := 0; i < 3; i++ {
		waitPing(t, pings, "options")
	}
	if n := h.count(regIs(Registering)); n != 1 {
		t.Errorf("answered keep-alives made %d registering states, want only the first\n%s", n, h.events())
	}
}

// TestUDPKeepAliveFallsBackToCRLF: a registrar that never answers OPTIONS
// (but answers REGISTER at once) gets CRLF keep-alives after two tries.
func TestUDPKeepAliveFallsBackToCRLF(t *testing.T) {
	t.Parallel()
	h, pings := startAtMini(t, false, func(u *UA) {
		u.cfg.KeepAlive = 200 * time.Millisecond
		u.timing.CheckTimeout = 300 * time.Millisecond
	})
	waitPing(t, pings, "crlf")
	waitPing(t, pings, "crlf")
	if !strings.Contains(h.logs.String(), "keep-alives are CRLF from now on") {
		t.Error("the fallback was not logged")
	}
	if n := h.count(regIs(RegFailed)); n != 0 {
		t.Errorf("%d failed states for a registrar that answers REGISTER\n%s", n, h.events())
	}
}

// TestKeepAliveReusesChallengeKamailio: Kamailio challenges every
// keep-alive OPTIONS (407); the answer's challenge is kept and answered
// again with the next nonce count, so that a check takes one OPTIONS
// while Kamailio takes the nonce, not two (challenge, then credentials).
// Counted in Kamailio's log ("IN OPTIONS <source>"), its own record.
func TestKeepAliveReusesChallengeKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	cfg := testConfig()
	cfg.Accounts = []Account{account(k, "udp")}
	h := start(t, cfg, func(u *UA) { u.cfg.KeepAlive = 300 * time.Millisecond })
	h.wait(t, 10*time.Second, "registered", regIs(Registered))
	const checks = 6
	for range checks {
		h.awaitLog(t, 30*time.Second, "keep-alive answered")
	}
	sent := k.Log.Count("IN OPTIONS " + h.Addr().String() + " udp")
	t.Logf("%d keep-alive checks took %d OPTIONS at Kamailio", checks, sent)
	if sent > checks+2 { // the first check is challenged; a nonce may go stale once
		t.Errorf("%d checks took %d OPTIONS, want about one each (the challenge reused)", checks, sent)
	}
}
