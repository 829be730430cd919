//go:build linux

package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// rmemAlloc is the memory held by the datagrams queued on c
// (SO_MEMINFO's receive allocation).
func rmemAlloc(t testing.TB, c *net.UDPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info [9]uint32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		l := uint32(unsafe.Sizeof(info))
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.SOL_SOCKET, 55, /* SO_MEMINFO */
			uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&l)), 0)
	}); err != nil || errno != 0 {
		t.Fatalf("SO_MEMINFO: %v %v", err, errno)
	}
	return int(info[0])
}

// queue sends n datagrams from p to c's port and waits until all are in
// c's receive queue.
func queue(t testing.TB, p *rawPeer, c *net.UDPConn, n int, pkt []byte) {
	t.Helper()
	to := c.LocalAddr().(*net.UDPAddr).AddrPort()
	before := rmemAlloc(t, c)
	p.send(t, to, pkt)
	waitFor(t, "a datagram queued", func() bool { return rmemAlloc(t, c) > before })
	one := rmemAlloc(t, c) - before
	for range n - 1 {
		p.send(t, to, pkt)
	}
	waitFor(t, "the datagrams queued", func() bool { return rmemAlloc(t, c) >= before+n*one })
}

// TestDrain: what a spare's socket received is discarded at handover, up
// to the bound; more than the bound queued is reported.
func TestDrain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		queued, bound int
		want          bool
	}{
		{"nothing queued", 0, 4, true},
		{"some queued", 3, 4, true},
		{"as many as the bound", 4, 4, false}, // the read that finds none is past the bound
		{"more than the bound", 9, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.queued > 0 {
				queue(t, newRawPeer(t), c, tc.queued, []byte("stale datagram"))
			}
			if got := drain(c, tc.bound); got != tc.want {
				t.Errorf("drain of %d queued, bound %d = %v, want %v", tc.queued, tc.bound, got, tc.want)
			}
			if tc.want && rmemAlloc(t, c) != 0 {
				t.Errorf("%d bytes still queued after a drain", rmemAlloc(t, c))
			}
		})
	}
}

// TestSpareHandedToCall: the next call takes the spare (its port is the
// one the spare had bound) and does not bind another; the next spare is
// another pair; a call on another address binds its own.
func TestSpareHandedToCall(t *testing.T) {
	t.Parallel()
	m := NewManager(testConfig(), nil, nil)
	defer m.CloseSpare()
	if err := m.PrepareSpare(loopback); err != nil {
		t.Fatal(err)
	}
	port := m.SparePort()
	if port == 0 {
		t.Fatal("no spare after PrepareSpare")
	}
	if err := m.PrepareSpare(loopback); err != nil || m.SparePort() != port {
		t.Fatalf("a second PrepareSpare moved the spare: %d -> %d, %v", port, m.SparePort(), err)
	}
	la, err := m.Open(context.Background(), loopback, "a", CallHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close("a")
	if la.Port() != port || m.SparePort() != 0 {
		t.Errorf("call took port %d with spare %d left; want the spare's %d and none left", la.Port(), m.SparePort(), port)
	}
	if err := m.PrepareSpare(loopback); err != nil || m.SparePort() == 0 || m.SparePort() == port {
		t.Errorf("next spare %d (%v), want a new pair", m.SparePort(), err)
	}
	next := m.SparePort()
	v6 := netip.MustParseAddr("::1")
	lb, err := m.Open(context.Background(), v6, "b", CallHooks{})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer m.Close("b")
	if lb.Addr() != v6 || m.SparePort() != next {
		t.Errorf("call on %v took %v, spare %d; want its own pair and the spare %d kept", v6, lb, m.SparePort(), next)
	}
}

// TestSpareClosed: CloseSpare frees the spare's ports (no descriptor
// left behind as the user agent stops) and no spare is bound after it.
// Not parallel: it counts the process's descriptors.
func TestSpareClosed(t *testing.T) {
	m := NewManager(testConfig(), nil, nil)
	fds := openFDs(t)
	if err := m.PrepareSpare(loopback); err != nil {
		t.Fatal(err)
	}
	port := m.SparePort()
	m.CloseSpare()
	for _, p := range []uint16{port, port + 1} {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, p)))
		if err != nil {
			t.Errorf("port %d still bound after CloseSpare: %v", p, err)
			continue
		}
		c.Close()
	}
	if err := m.PrepareSpare(loopback); err != nil || m.SparePort() != 0 {
		t.Errorf("PrepareSpare after CloseSpare bound %d (%v)", m.SparePort(), err)
	}
	if got := openFDs(t); got > fds {
		t.Errorf("%d descriptors open after CloseSpare, %d before the spare", got, fds)
	}
}

// openFDs counts the process's open descriptors, the network poller's
// own opened first (by a socket of its own).
func openFDs(t *testing.T) int {
	t.Helper()
	if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err == nil {
		c.Close()
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

// TestSpareSprayedByStranger: a stranger that found the spare's port (it
// does not answer with ICMP) and queued RTP there before the call cannot
// have the call's symmetric RTP latch to it: what the spare received is
// discarded when the call takes it, so the call sends to the peer the SDP
// named and nothing to the stranger. Without the drain, the stranger's
// queued packet is the first the call reads, and the call's audio goes to
// the stranger (a peer that never sends would never take it back).
func TestSpareSprayedByStranger(t *testing.T) {
	t.Parallel()
	m := NewManager(testConfig(), nil, nil)
	defer m.CloseSpare()
	if err := m.PrepareSpare(loopback); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	spare := m.spare.s
	m.mu.Unlock()
	stranger, peer := newRawPeer(t), newRawPeer(t)
	queue(t, stranger, spare.rtp, 20, rtpPacket(t, 0, 1, 160, 0xbad, false, make([]byte, 160)))
	queue(t, stranger, spare.rtcp, 5, []byte{0x80, 201, 0, 1, 0, 0, 0xb, 0xad})
	if _, err := m.Open(context.Background(), loopback, "a", CallHooks{}); err != nil {
		t.Fatal(err)
	}
	defer m.Close("a")
	if err := m.Start("a", pcmuNeg(peer.addr)); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if b := peer.read(t); len(b) < 12 {
			t.Fatalf("peer got %x, want RTP", b)
		}
	}
	stranger.conn.SetReadDeadline(time.Now())
	if n, _, err := stranger.conn.ReadFrom(make([]byte, 1500)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the stranger received %d bytes from the call (%v)", n, err)
	}
	if st, _ := m.Stats("a"); st.Received != 0 {
		t.Errorf("the call accepted %d packets sent before it took the spare", st.Received)
	}
}

// TestSpareOneAtATime: however many ask for a spare at once (calls ending
// together), one pair is bound beyond the calls' own. Not parallel: it
// counts the process's descriptors.
func TestSpareOneAtATime(t *testing.T) {
	cfg := testConfig()
	m := NewManager(cfg, nil, nil)
	defer m.CloseSpare()
	fds := openFDs(t)
	done := make(chan error)
	for range 8 {
		go func() { done <- m.PrepareSpare(loopback) }()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if m.SparePort() == 0 {
		t.Fatal("no spare")
	}
	if got := openFDs(t) - fds; got != 2 {
		t.Errorf("%d descriptors opened for the spare, want 2 (one RTP/RTCP pair)", got)
	}
}
