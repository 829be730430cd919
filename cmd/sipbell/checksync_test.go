package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckSyncNotifyFetchesConfig: a PBX's NOTIFY Event: check-sync makes
// the running binary fetch its configuration from the provisioning server
// at once, instead of at the next (daily) interval.
func TestCheckSyncNotifyFetchesConfig(t *testing.T) {
	t.Parallel()
	fetched := make(chan string, 16)
	var config string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched <- r.URL.Path + " " + r.UserAgent()
		fmt.Fprint(w, config)
	}))
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state")
	config = "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n" +
		"provisioning:\n  url: " + srv.URL + "/sipbell/{mac}.yaml\n  interval: 24h\n  state_dir: " + state +
		"\n  admin:\n    listen: \"\"\n"
	p := startWith(t, nil, config)
	addr := p.await(t, "sip listening")["udp"].(string)
	first := waitFetch(t, fetched)
	if !strings.HasPrefix(first, "/sipbell/") || !strings.Contains(first, "sipbell/") {
		t.Fatalf("first fetch %q: want the templated path and a sipbell User-Agent", first)
	}

	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	notify := fmt.Sprintf("NOTIFY sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-cs;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=p\r\nTo: <sip:door@%s>\r\nCall-ID: cs@pbx\r\n"+
		"CSeq: 1 NOTIFY\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n", addr, conn.LocalAddr(), addr)
	if _, err := conn.Write([]byte(notify)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("NOTIFY answered %q, %v", buf[:n], err)
	}
	p.await(t, "configuration resync requested")
	waitFetch(t, fetched)
}

func waitFetch(t *testing.T, fetched <-chan string) string {
	t.Helper()
	select {
	case f := <-fetched:
		return f
	case <-time.After(30 * time.Second):
		t.Fatal("the provisioning server was not asked for the configuration")
		return ""
	}
}
