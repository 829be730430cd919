package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/notify"
	"github.com/sipbell/sipbell/provisioning"
)

// options answers an OPTIONS over UDP and returns the status line.
func optionsStatus(t *testing.T, addr string) (string, error) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	req := fmt.Sprintf("OPTIONS sip:x@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:x@%s>\r\nCall-ID: %d@t\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", addr, conn.LocalAddr(), time.Now().UnixNano(), addr, time.Now().UnixNano())
	if _, err := io.WriteString(conn, req); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func TestApplyRestartsCoreAndRestoresOnFailure(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := newApp(options{}, nil, io.Discard, log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	cfg := provisioning.Default()
	cfg.SIP.Listen = "127.0.0.1:0"
	if err := a.start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	first, firstCore := a.SIPAddr(), a.currentCore()
	if st, err := optionsStatus(t, first); err != nil || !strings.Contains(st, "200") {
		t.Fatalf("before apply: %q %v", st, err)
	}

	// A changed SIP section: a new user agent, no restart, and (the
	// listen setting being the same, port 0) on the same port.
	next := cfg
	next.SIP.User = "gate"
	if err := a.Apply(ctx, next); err != nil {
		t.Fatalf("apply: %v", err)
	}
	second := a.SIPAddr()
	if a.currentCore() == firstCore {
		t.Fatal("user agent not rebuilt")
	}
	if second != first {
		t.Fatalf("the SIP port moved from %s to %s", first, second)
	}
	if st, err := optionsStatus(t, second); err != nil || !strings.Contains(st, "200") {
		t.Fatalf("after apply: %q %v", st, err)
	}
	if a.Running().SIP.User != "gate" {
		t.Fatalf("running config not updated: %+v", a.Running().SIP)
	}

	// A configuration whose board cannot open here (no GPIO chip): refused,
	// and the previous configuration runs again.
	bad := next
	bad.Board.Profile = "rpi"
	if err := a.Apply(ctx, bad); err == nil {
		t.Fatal("applying a board that cannot open succeeded")
	}
	if a.Running().Board.Profile != "sim" {
		t.Fatalf("running config changed by a failed apply: %q", a.Running().Board.Profile)
	}
	if st, err := optionsStatus(t, a.SIPAddr()); err != nil || !strings.Contains(st, "200") {
		t.Fatalf("after failed apply the old config should answer: %q %v", st, err)
	}

	// Only the provisioning section changed: the core keeps running.
	keep := a.currentCore()
	prov := a.Running()
	prov.Provisioning.URL = "http://127.0.0.1:1/{mac}.yaml"
	if err := a.Apply(ctx, prov); err != nil {
		t.Fatal(err)
	}
	if a.currentCore() != keep {
		t.Fatal("a provisioning-only change restarted the core")
	}

	// Notifications run in the core: a change there rebuilds it.
	hook := a.Running()
	hook.Notify.Webhooks = append(hook.Notify.Webhooks, notify.Webhook{URL: "http://127.0.0.1:1/hook"})
	if err := a.Apply(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if a.currentCore() == keep {
		t.Fatal("a notify-only change was not applied to the running core")
	}
}

// currentCore is the running core (tests compare generations).
func (a *app) currentCore() *core {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.core
}
