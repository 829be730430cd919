package ua

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// idleStorm opens n TCP connections to target, spread over sources
// 127.0.<1+i/250>.<i%250+1>, perSource from each, sends nothing on them and
// keeps them open until the test ends. It returns how many connected.
func idleStorm(t *testing.T, target string, n, perSource int) int {
	t.Helper()
	return len(interop.OpenIdle(t, target, n, func(i int) net.IP {
		src := i / perSource
		return net.IPv4(127, 0, byte(1+src/250), byte(src%250+1))
	}))
}

// TestTCPIdleConnectionsBounded: 10,000 idle TCP connections (from 1,000
// loopback sources) leave the UA holding at most its cap; a registration
// with Kamailio over TCP goes on, and a new caller's OPTIONS over TCP is
// answered (from the registrar's address at once, from another address
// once an idle connection has made room).
func TestTCPIdleConnectionsBounded(t *testing.T) {
	// Not parallel: it counts the process's file descriptors, which
	// parallel tests' sockets would inflate.
	k := interop.StartKamailio(t, interop.KamailioOptions{MinExpires: 2})
	cfg := testConfig()
	acc := account(k, "tcp")
	acc.User = "alice"
	cfg.Accounts = []Account{acc}
	h := start(t, cfg, func(u *UA) { u.cfg.Accounts[0].Expires = 3 * time.Second })
	h.wait(t, 10*time.Second, "registered", regIs(Registered))

	before := openFDs(t)
	const n, perSource = 10000, 10
	connected := idleStorm(t, h.Addr().String(), n, perSource)
	held := h.tcpLimiter().open()
	fds := openFDs(t) - before - connected // the UA's side of them
	t.Logf("%d idle connections made: UA holds %d, its fds grew by %d (cap %d)",
		connected, held, fds, DefaultTCPMaxConnections)
	if held > DefaultTCPMaxConnections || fds > DefaultTCPMaxConnections+32 {
		t.Fatalf("UA holds %d connections, %d more fds: want at most %d", held, fds, DefaultTCPMaxConnections)
	}

	// The registrar's address has slots of its own.
	if status, err := tcpOptions(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, h.Addr()); err != nil ||
		!strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TCP from the registrar's address during the storm: %q, %v", status, err)
	}
	// Another caller gets the slot of the connection idle the longest.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		status, err := tcpOptions(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, h.Addr())
		if err == nil && strings.HasPrefix(status, "SIP/2.0 200") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("OPTIONS over TCP from a new caller never answered: %q, %v", status, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The registration is refreshed (every 1.5..2.25 s) through it all.
	after := time.Now()
	h.wait(t, 15*time.Second, "a refresh after the storm", func(e Event) bool {
		return regIs(Registered)(e) && e.Time.After(after)
	})
	if n := h.count(regIs(RegFailed)); n != 0 {
		t.Errorf("%d registration failures during the storm", n)
	}
	if !strings.Contains(h.logs.String(), "inbound connections limited") {
		t.Error("refusals not logged")
	}
	if c := strings.Count(h.logs.String(), "inbound connections limited"); c > 5 {
		t.Errorf("refusals logged %d times: not rate-limited", c)
	}
}

// tcpLimiter digs the connection limiter out of the running UA (tests).
func (u *UA) tcpLimiter() *connLimiter {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.limiter
}

func TestConnLimitsDefaults(t *testing.T) {
	l := Config{}.connLimits()
	if l.idle != DefaultTCPIdleTimeout || l.max != DefaultTCPMaxConnections || l.perSource != DefaultTCPMaxPerSource || l.reserved != 16 {
		t.Errorf("defaults %+v", l)
	}
	if w := l.within(100); w.max != 25 || w.perSource != 8 || w.reserved != 3 {
		t.Errorf("within 100 fds: %+v, want 25 connections", w)
	}
	if w := l.within(20000); w != l {
		t.Errorf("within 20000 fds: %+v, want %+v", w, l)
	}
	c := DefaultConfig()
	c.TCPMaxConnections = 5000
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "tcp_max_connections") {
		t.Errorf("5000 connections accepted: %v", err)
	}
}

// TestTCPIdleTimeout: an inbound connection that carries nothing is closed.
func TestTCPIdleTimeout(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), func(u *UA) { u.cfg.TCPIdleTimeout = 300 * time.Millisecond })
	<-h.Ready()
	c, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("idle connection not closed by the UA: %v", err)
	}
	if n := h.tcpLimiter().idleClosed.Load(); n != 1 {
		t.Errorf("idle closes counted: %d, want 1", n)
	}
}
