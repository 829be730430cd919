package ua

import (
	"strings"
	"testing"
	"time"
)

func TestNotifyCheckSync(t *testing.T) {
	t.Parallel()
	synced := make(chan struct{}, 4)
	h := start(t, testConfig(), nil, WithCheckSync(func() { synced <- struct{}{} }))
	conn := dial(t, h)
	addr := h.Addr().String()

	res := exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), "cs1", "Event: check-sync;reboot=false\r\n", ""), "SIP/2.0 200")
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("check-sync answered %q", res)
	}
	select {
	case <-synced:
	case <-time.After(5 * time.Second):
		t.Fatal("check-sync did not reach the callback")
	}
	res = exchange(t, conn, request("NOTIFY", addr, conn.LocalAddr(), "cs2", "Event: dialog\r\n", ""), "SIP/2.0 489")
	if !strings.HasPrefix(res, "SIP/2.0 489") {
		t.Fatalf("unknown event answered %q", res)
	}
	select {
	case <-synced:
		t.Fatal("a NOTIFY for another event triggered a resync")
	default:
	}
}

func TestNotifyCheckSyncFromStrangerRefused(t *testing.T) {
	t.Parallel()
	synced := make(chan struct{}, 1)
	cfg := testConfig()
	cfg.AllowFrom = []string{"192.0.2.0/24"} // not us
	h := start(t, cfg, nil, WithCheckSync(func() { synced <- struct{}{} }))
	conn := dial(t, h)
	res := exchange(t, conn, request("NOTIFY", h.Addr().String(), conn.LocalAddr(), "cs3", "Event: check-sync\r\n", ""), "SIP/2.0 403")
	if !strings.HasPrefix(res, "SIP/2.0 403") {
		t.Fatalf("stranger's check-sync answered %q", res)
	}
	select {
	case <-synced:
		t.Fatal("a stranger's check-sync triggered a resync")
	case <-time.After(200 * time.Millisecond):
	}
}
