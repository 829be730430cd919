package ua

import (
	"net"
	"strings"
	"testing"
	"time"
)

// miniRegistrar answers every REGISTER 200 (no auth) and reports CRLF
// keep-alives on pings.
func miniRegistrar(t *testing.T) (addr string, pings <-chan struct{}) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan struct{}, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if strings.Trim(msg, "\r\n") == "" {
				select {
				case ch <- struct{}{}:
				default:
				}
				continue
			}
			if !strings.HasPrefix(msg, "REGISTER ") {
				continue
			}
			var res strings.Builder
			res.WriteString("SIP/2.0 200 OK\r\n")
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

func TestUDPKeepAlive(t *testing.T) {
	t.Parallel()
	addr, pings := miniRegistrar(t)
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: addr, User: "door", Expires: time.Hour}}
	h := start(t, cfg, func(u *UA) { u.cfg.KeepAlive = 200 * time.Millisecond })
	h.wait(t, 5*time.Second, "registered", regIs(Registered))
	for i := 0; i < 2; i++ {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatalf("no CRLF keep-alive %d reached the registrar", i+1)
		}
	}
}
