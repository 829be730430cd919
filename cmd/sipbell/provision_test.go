package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestPullProvisioningSwitchesAccountLive: the running binary pulls a
// configuration with a SIP account and registers with a real Kamailio; the
// provisioning server then hands out another account, the PBX sends
// NOTIFY check-sync, and the same process re-registers with the new
// account (the old binding is removed) without restarting.
func TestPullProvisioningSwitchesAccountLive(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	state := filepath.Join(t.TempDir(), "state")
	var srvURL string
	var user atomic.Value
	user.Store("alice")
	configFor := func(u string) string {
		c := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n"
		if u != "" {
			c += fmt.Sprintf("  accounts:\n    - registrar: %s\n      user: %s\n      password: %q\n", k.UDP, u, interop.Password)
		}
		return c + "provisioning:\n  url: " + srvURL + "/{mac}.yaml\n  interval: 24h\n  state_dir: " + state +
			"\n  admin:\n    listen: \"\"\n"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, configFor(user.Load().(string)))
	}))
	defer srv.Close()
	srvURL = srv.URL

	p := startWith(t, nil, configFor(""))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := k.WaitContacts(ctx, "alice", 1); err != nil {
		t.Fatalf("alice never registered: %v\n%s", err, k.Log)
	}

	user.Store("bob")
	addr := lastSIPAddr(t, p)
	checkSync(t, addr)
	if _, err := k.WaitContacts(ctx, "bob", 1); err != nil {
		t.Fatalf("bob never registered: %v\n%s", err, k.Log)
	}
	if _, err := k.WaitContacts(ctx, "alice", 0); err != nil {
		t.Fatalf("alice's binding was not removed: %v", err)
	}
	select {
	case err := <-p.done:
		t.Fatalf("the process exited while switching accounts: %v", err)
	default:
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if _, err := k.WaitContacts(ctx, "bob", 0); err != nil {
		t.Fatalf("bob was not unregistered on shutdown: %v", err)
	}
}

// lastSIPAddr waits for the user agent of the account's configuration to
// listen (the second "sip listening" line) and returns its address.
func lastSIPAddr(t *testing.T, p *proc) string {
	t.Helper()
	p.await(t, "sip listening")
	return p.await(t, "sip listening")["udp"].(string)
}

// checkSync sends NOTIFY Event: check-sync and waits for the 200.
func checkSync(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := fmt.Sprintf("NOTIFY sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-cs%d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=p\r\nTo: <sip:door@%s>\r\nCall-ID: cs%d@pbx\r\n"+
		"CSeq: 1 NOTIFY\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n", addr, conn.LocalAddr(), time.Now().UnixNano(), addr, time.Now().UnixNano())
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("check-sync NOTIFY answered %q, %v", buf[:n], err)
	}
}
