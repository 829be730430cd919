package ua

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// from is a UDP socket on a loopback address of the test's choice (the
// whole 127/8 is local), connected to the UA under test.
func from(t *testing.T, h *harness, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)}, h.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answers counts the responses arriving on c whose status line starts
// with prefix, in the background.
func answers(c *net.UDPConn, prefix string) *atomic.Int64 {
	var n atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:k]), prefix) {
				n.Add(1)
			}
		}
	}()
	return &n
}

// waitFor polls cond until it holds (failing after 10 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func options(c *net.UDPConn, h *harness, id string, extra string) {
	c.Write([]byte(request("OPTIONS", h.Addr().String(), c.LocalAddr(), id, extra, "")))
}

// TestGuardDropsScanners: an OPTIONS with a sipvicious User-Agent is
// dropped unanswered and its source blocked (even its plain requests);
// another source is still answered.
func TestGuardDropsScanners(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	scan := from(t, h, "127.0.0.21")
	got := answers(scan, "SIP/2.0")
	options(scan, h, "scan1", "User-Agent: friendly-scanner\r\n")
	waitFor(t, "the scanner's OPTIONS dropped", func() bool { return h.GuardDrops()["scanner"] == 1 })
	options(scan, h, "scan2", "User-Agent: Linphone/5.2\r\n")
	waitFor(t, "the scanner's next OPTIONS dropped", func() bool { return h.GuardDrops()["blocked after failures"] == 1 })
	other := from(t, h, "127.0.0.22")
	ok := answers(other, "SIP/2.0 200")
	options(other, h, "other", "User-Agent: Linphone/5.2\r\n")
	waitFor(t, "another source answered", func() bool { return ok.Load() == 1 })
	if n := got.Load(); n != 0 {
		t.Errorf("the scanner got %d answers", n)
	}
}

// TestGuardRateLimit: a burst of 300 OPTIONS from one source is cut to
// its rate (the rest dropped unanswered and logged as one summary line),
// while another source and the registrar are answered in full.
func TestGuardRateLimit(t *testing.T) {
	t.Parallel()
	reg := listenUDP(t, "127.0.0.24")
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: reg.LocalAddr().String(), User: "door", Expires: time.Hour}}
	h := start(t, cfg, nil)
	flood := from(t, h, "127.0.0.23")
	ok := answers(flood, "SIP/2.0 200")
	begin := time.Now()
	const n = 300
	for i := 0; i < n; i++ {
		options(flood, h, fmt.Sprintf("f%d", i), "")
		if i%50 == 49 { // stay inside the socket buffers
			want := int64(i + 1)
			waitFor(t, "the flood answered or dropped", func() bool {
				return ok.Load()+int64(h.GuardDrops()["rate limit"]) >= want
			})
		}
	}
	lim := DefaultLimits()
	max := int64(lim.SourceBurst) + int64(time.Since(begin).Seconds()*float64(lim.SourceRate)) + 1
	if got := ok.Load(); got > max {
		t.Errorf("%d of %d OPTIONS from one source answered, want at most %d (burst %d, %d/s)",
			got, n, max, lim.SourceBurst, lim.SourceRate)
	}
	other := from(t, h, "127.0.0.1")
	okOther := answers(other, "SIP/2.0 200")
	options(other, h, "legit", "")
	waitFor(t, "another source answered during the flood", func() bool { return okOther.Load() == 1 })
	// The registrar (address and port of the account) is never limited.
	okReg := answersOn(reg, "SIP/2.0 200", "OPTIONS")
	for i := 0; i < n; i++ {
		reg.WriteTo([]byte(request("OPTIONS", h.Addr().String(), reg.LocalAddr(), fmt.Sprintf("r%d", i), "", "")), h.Addr())
		if i%50 == 49 { // stay inside the socket buffers
			want := int64(i + 1)
			waitFor(t, "the registrar's OPTIONS answered", func() bool { return okReg.Load() >= want })
		}
	}
	if lines := strings.Count(h.logs.String(), "request dropped: rate limit"); lines > 2 {
		t.Errorf("%d log lines for one flood, want one line and a summary", lines)
	}
}

// TestGuardBlocksFailingSource: a source refused BlockAfter times (403,
// caller not allowed) is dropped unanswered after that.
func TestGuardBlocksFailingSource(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	c := from(t, h, "127.0.0.25")
	refused := answers(c, "SIP/2.0 403")
	lim := DefaultLimits()
	for i := 0; i < lim.BlockAfter; i++ {
		c.Write([]byte(request("INVITE", h.Addr().String(), c.LocalAddr(), fmt.Sprintf("b%d", i),
			"Content-Type: application/sdp\r\n", offerSDP)))
		want := int64(i + 1)
		waitFor(t, "403", func() bool { return refused.Load() >= want })
	}
	options(c, h, "after", "")
	waitFor(t, "the failing source blocked", func() bool { return h.GuardDrops()["blocked after failures"] == 1 })
}

// TestGuardGlobalBudget: a crowd of sources, each under its own rate,
// cannot get around the limits by number (nor fill the source table): the
// global budget drops the excess; an allowed network is still answered.
func TestGuardGlobalBudget(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Limits.GlobalRate, cfg.Limits.GlobalBurst, cfg.Limits.MaxSources = 10, 50, 16
	h := start(t, cfg, nil)
	const sources, each = 100, 2
	var oks []*atomic.Int64
	for s := 0; s < sources; s++ {
		c := from(t, h, fmt.Sprintf("127.0.1.%d", s+1))
		oks = append(oks, answers(c, "SIP/2.0 200"))
		for i := 0; i < each; i++ {
			options(c, h, fmt.Sprintf("g%d-%d", s, i), "")
		}
		want := int64(each * (s + 1))
		waitFor(t, "the crowd answered or dropped", func() bool {
			d := h.GuardDrops()
			n := int64(d["global rate limit"] + d["rate limit"])
			for _, ok := range oks {
				n += ok.Load()
			}
			return n >= want
		})
	}
	waitFor(t, "the crowd's excess dropped", func() bool { return h.GuardDrops()["global rate limit"] > 0 })
	legit := from(t, h, "127.0.0.1")
	okLegit := answers(legit, "SIP/2.0 200")
	options(legit, h, "legit", "")
	waitFor(t, "the allowed network answered", func() bool { return okLegit.Load() == 1 })
	h.guard.mu.Lock()
	size := len(h.guard.sources)
	h.guard.mu.Unlock()
	if size > cfg.Limits.MaxSources {
		t.Errorf("source table holds %d entries, bound %d", size, cfg.Limits.MaxSources)
	}
}

func listenUDP(t *testing.T, ip string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answersOn counts responses with prefix to method arriving on c.
func answersOn(c net.PacketConn, prefix, method string) *atomic.Int64 {
	var n atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			k, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			m := string(buf[:k])
			if strings.HasPrefix(m, prefix) && strings.Contains(m, " "+method+"\r\n") {
				n.Add(1)
			}
		}
	}()
	return &n
}

// TestGuardShedsStrangersWhenMemoryIsShort: above three quarters of the
// memory ceiling, requests from strangers are dropped while allowed
// networks and responses (to our own requests) still pass; the sampler
// sets the state from the runtime's heap figure.
func TestGuardShedsStrangersWhenMemoryIsShort(t *testing.T) {
	e, _ := parseAllow("127.0.0.1")
	g := newGuard(DefaultLimits(), SystemClock{}, NewLogLimiter(discard(), nil, time.Second, 8), []allowEntry{e})
	g.memLimit = 4 << 10 // far below any heap: short at once
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.run(ctx, func() []netip.AddrPort { return nil }) }()
	waitFor(t, "memory found short", g.shed.Load)
	cancel()
	<-done
	req := []byte("OPTIONS sip:door@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n")
	if r, ok := g.admit(netip.MustParseAddr("127.0.0.9"), req); ok || r != dropMemory {
		t.Errorf("a stranger's request admitted while memory is short (%v, %v)", r, ok)
	}
	if _, ok := g.admit(netip.MustParseAddr("127.0.0.1"), req); !ok {
		t.Error("an allowed network's request dropped while memory is short")
	}
	if _, ok := g.admit(netip.MustParseAddr("127.0.0.9"), []byte("SIP/2.0 200 OK\r\n\r\n")); !ok {
		t.Error("a response dropped while memory is short")
	}
}

// TestGuardClosesScannerTCP: over TCP the guard cannot drop part of a
// stream; a scanner's connection is closed instead, unanswered.
func TestGuardClosesScannerTCP(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	c, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.ParseIP("127.0.0.26")}, &net.TCPAddr{IP: h.Addr().IP, Port: h.Addr().Port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := strings.Replace(request("OPTIONS", h.Addr().String(), c.LocalAddr(), "tcpscan", "User-Agent: sipvicious\r\n", ""),
		"SIP/2.0/UDP", "SIP/2.0/TCP", 1)
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err == nil {
		t.Fatalf("the scanner got an answer over TCP: %q", buf[:n])
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the scanner's TCP connection was left open")
	}
	if h.GuardDrops()["scanner"] != 1 {
		t.Errorf("drops: %v", h.GuardDrops())
	}
}

// TestGuardBlockExpires: a blocked source (a scanner) is dropped for
// BlockFor and admitted again after it; the source table forgets idle
// sources.
func TestGuardBlockExpires(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	g := newGuard(DefaultLimits(), clk, NewLogLimiter(discard(), clk, time.Second, 8), nil)
	ip := netip.MustParseAddr("192.0.2.7")
	scan := []byte("OPTIONS sip:door@192.0.2.1 SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n")
	plain := []byte("OPTIONS sip:door@192.0.2.1 SIP/2.0\r\nUser-Agent: Linphone\r\n\r\n")
	if r, ok := g.admit(ip, scan); ok || r != dropScanner {
		t.Fatalf("scanner admitted (%v, %v)", r, ok)
	}
	clk.Advance(DefaultLimits().BlockFor - time.Second)
	if r, ok := g.admit(ip, plain); ok || r != dropBlocked {
		t.Fatalf("blocked source admitted before BlockFor (%v, %v)", r, ok)
	}
	clk.Advance(2 * time.Second)
	if r, ok := g.admit(ip, plain); !ok {
		t.Fatalf("source still dropped after BlockFor (%v)", r)
	}
	clk.Advance(DefaultLimits().BlockFor + time.Minute)
	g.mu.Lock()
	g.sweepLocked(clk.Now(), true)
	n := len(g.sources)
	g.mu.Unlock()
	if n != 0 {
		t.Errorf("%d idle sources still tracked", n)
	}
}

// TestGuardIPv6SourcesBySlash64: the addresses of one IPv6 /64 (one
// subscriber, who may use any of its 2^64 addresses) share one bucket.
func TestGuardIPv6SourcesBySlash64(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	lim := DefaultLimits()
	g := newGuard(lim, clk, NewLogLimiter(discard(), clk, time.Second, 8), nil)
	req := []byte("OPTIONS sip:door@[2001:db8::1] SIP/2.0\r\n\r\n")
	admitted := 0
	for i := 0; i < 10*lim.SourceBurst; i++ {
		ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 8: byte(i >> 8), 15: byte(i)})
		if _, ok := g.admit(ip, req); ok {
			admitted++
		}
	}
	if admitted != lim.SourceBurst {
		t.Errorf("%d requests from one /64 admitted at once, want its burst %d", admitted, lim.SourceBurst)
	}
	if _, ok := g.admit(netip.MustParseAddr("2001:db8:0:2::1"), req); !ok {
		t.Error("another /64 dropped")
	}
}

// TestGuardKnownCallersOutsideGlobalBudget: a sip.callers entry's network
// is a known network like allow_from: once strangers have used up the
// global budget, its requests still pass (the siege's REGISTER flood kept
// alice's re-dial out when only allow_from counted).
func TestGuardKnownCallersOutsideGlobalBudget(t *testing.T) {
	lim := DefaultLimits()
	lim.GlobalRate, lim.GlobalBurst = 1, 1
	callers := []KnownCaller{{User: "alice", Networks: []string{"127.0.0.7"}}, {User: "bob", Password: "pw"}}
	g := newGuard(lim, SystemClock{}, NewLogLimiter(discard(), nil, time.Second, 8), knownNetworks(nil, callers))
	req := []byte("INVITE sip:door@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n")
	for i := range 3 {
		_, _ = g.admit(netip.MustParseAddr(fmt.Sprintf("127.0.9.%d", i+1)), req)
	}
	if r, ok := g.admit(netip.MustParseAddr("127.0.9.9"), req); ok || r != dropGlobal {
		t.Fatalf("a stranger past the global budget: %v, %v; want dropped for the global budget", r, ok)
	}
	if r, ok := g.admit(netip.MustParseAddr("127.0.0.7"), req); !ok {
		t.Errorf("alice's network (sip.callers) dropped: %v", r)
	}
}
