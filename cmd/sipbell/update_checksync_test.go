package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestFirmwareCheckSyncBinary: a SIP NOTIFY Event: check-sync from an
// allowed source makes the running binary check its firmware manifest at
// once (not only at the next interval): v2, published after the start's
// check found nothing, is installed.
func TestFirmwareCheckSyncBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fw := newFWFixture(t)
	fw.publish(t, "v1.0.0", []byte("the running version"), "")
	r := fw.rig(t, "  allow_from: [127.0.0.1]\n")
	p := r.start(t)
	addr := p.awaitLine(ctx, t, "sip listening", nil)["udp"].(string)
	p.awaitLine(ctx, t, "firmware manifest checked: no update", nil)
	fw.publish(t, "v2.0.0", fw.bin2, "")

	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	notify := fmt.Sprintf("NOTIFY sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-fw;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=p\r\nTo: <sip:door@%s>\r\nCall-ID: fw@pbx\r\n"+
		"CSeq: 1 NOTIFY\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n", addr, conn.LocalAddr(), addr)
	if _, err := conn.Write([]byte(notify)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	if n, err := conn.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("NOTIFY answered %q, %v", buf[:n], err)
	}
	p.awaitLine(ctx, t, "firmware update: installed in the inactive slot; restarting to try it", map[string]string{"version": "v2.0.0"})
}
