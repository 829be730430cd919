package media

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// manualClock is an audio.Clock whose WaitUntil blocks until the test
// advances the time past the deadline.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	changed chan struct{}
	waiters int
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Unix(1_700_000_000, 0), changed: make(chan struct{})}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) WaitUntil(ctx context.Context, t time.Time) error {
	for {
		c.mu.Lock()
		if !c.now.Before(t) {
			c.mu.Unlock()
			return ctx.Err()
		}
		ch := c.changed
		c.waiters++
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			c.mu.Lock()
			c.waiters--
			c.mu.Unlock()
			return ctx.Err()
		}
		c.mu.Lock()
		c.waiters--
		c.mu.Unlock()
	}
}

// Waiters is how many goroutines wait in WaitUntil now.
func (c *manualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// waitFor polls cond (a state, not a sleep-and-hope) until it holds or
// 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// testConfig is the default config with a wide loopback port range.
func testConfig() Config {
	c := DefaultConfig()
	c.RTPPortMin, c.RTPPortMax = 20000, 60000
	return c
}

var loopback = netip.MustParseAddr("127.0.0.1")

func listen(t testing.TB, cfg Config, opts Options) *Session {
	t.Helper()
	s, err := Listen(cfg, loopback, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawPeer is a plain UDP socket standing in for a peer whose packets the
// test writes and inspects byte by byte.
type rawPeer struct {
	conn *net.UDPConn
	addr netip.AddrPort
}

func newRawPeer(t testing.TB) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (p *rawPeer) read(t testing.TB) []byte {
	t.Helper()
	buf := make([]byte, 1500)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := p.conn.Read(buf)
	if err != nil {
		t.Fatalf("raw peer read: %v", err)
	}
	return buf[:n]
}

func (p *rawPeer) send(t testing.TB, to netip.AddrPort, b []byte) {
	t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}
