//go:build linux && (amd64 || arm || arm64)

package rawudp

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/syscalltrace"
)

func listen(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRoundTrip: datagrams both ways between a wrapped socket and a plain
// one, on IPv4 and IPv6 loopback: contents, sender address, truncation
// to the buffer, as *net.UDPConn does.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, loop := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(loop, func(t *testing.T) {
			t.Parallel()
			plain := listen(t, loop)
			raw := listen(t, loop)
			w := Wrap(raw)
			if _, ok := w.(*Conn); !ok {
				t.Fatalf("Wrap gave %T, not the raw connection", w)
			}
			msg := []byte("OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n\r\n")
			if n, err := w.WriteTo(msg, plain.LocalAddr()); err != nil || n != len(msg) {
				t.Fatalf("WriteTo: %d %v", n, err)
			}
			buf := make([]byte, 100)
			plain.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err := plain.ReadFromUDPAddrPort(buf)
			if err != nil || !bytes.Equal(buf[:n], msg) || from != raw.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Fatalf("plain got %q from %v (%v); want %q from %v", buf[:n], from, err, msg, raw.LocalAddr())
			}
			if _, err := plain.WriteTo(msg, raw.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			w.SetReadDeadline(time.Now().Add(5 * time.Second))
			small := make([]byte, 7)
			n, addr, err := w.ReadFrom(small)
			if err != nil || string(small[:n]) != "OPTIONS" {
				t.Fatalf("ReadFrom: %q %v, want the datagram truncated to %d bytes", small[:n], err, len(small))
			}
			if got := addr.(*net.UDPAddr).AddrPort(); got != plain.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Fatalf("sender %v, want %v", got, plain.LocalAddr())
			}
		})
	}
}

// TestDeadlineAndClose: a read past its deadline fails as a timeout, a
// pending read ends with net.ErrClosed when the socket is closed (what
// sipgo's read loop stops on), and a write to an address of the other
// family is refused, not sent.
func TestDeadlineAndClose(t *testing.T) {
	t.Parallel()
	w := Wrap(listen(t, "127.0.0.1:0"))
	w.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, _, err := w.ReadFrom(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	if _, err := w.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv6loopback, Port: 9}); err == nil {
		t.Fatal("an IPv6 destination from an IPv4 socket was not refused")
	}
	if _, err := w.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err == nil {
		t.Fatal("a TCP address was not refused")
	}
	w.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, _, err := w.ReadFrom(make([]byte, 10)); done <- err }()
	time.Sleep(10 * time.Millisecond) // let it park (the test holds either way)
	w.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("pending read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the pending read")
	}
}

// TestNoBlockingSystemCalls: the execution trace of exchanges through a
// wrapped socket shows no goroutine entering a system call (the runtime's
// entersyscall, which wakes sysmon in an idle process: the point of the
// package); the same exchanges through plain sockets show one per read
// and write at least. Not parallel: the trace is the process's.
func TestNoBlockingSystemCalls(t *testing.T) {
	const rounds = 20
	plain := func(c *net.UDPConn) net.PacketConn { return c }
	for _, tc := range []struct {
		name    string
		wrap    func(*net.UDPConn) net.PacketConn
		atLeast int
	}{
		{"plain", plain, 2 * rounds},
		{"raw", Wrap, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.wrap(listen(t, "127.0.0.1:0")), tc.wrap(listen(t, "127.0.0.1:0"))
			n, err := syscalltrace.Count(func() {
				buf := make([]byte, 64)
				for range rounds {
					if _, err := a.WriteTo([]byte("ping"), b.LocalAddr()); err != nil {
						t.Error(err)
						return
					}
					b.SetReadDeadline(time.Now().Add(5 * time.Second))
					if _, _, err := b.ReadFrom(buf); err != nil {
						t.Error(err)
						return
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.atLeast == 0 && n != 0 || n < tc.atLeast {
				t.Fatalf("%d goroutine transitions into a system call over %d exchanges (want %s)", n, rounds,
					map[bool]string{true: "none", false: "at least one per read and write"}[tc.atLeast == 0])
			}
		})
	}
}

// TestSockaddr: addresses to and from the kernel's form keep family,
// port and an IPv6 zone (as its interface number: no lookup per
// datagram); an IPv4 peer of a dual-stack socket comes back as IPv4.
func TestSockaddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		v6   bool
		back string // as read back; "" for in
	}{
		{"127.0.0.1:5060", false, ""},
		{"[::1]:5060", true, ""},
		{"[fe80::1%3]:5060", true, ""},
		{"192.0.2.1:5060", true, ""}, // v4-mapped on the wire
	} {
		ap := netip.MustParseAddrPort(tc.in)
		var sa syscall.RawSockaddrAny
		if _, ok := PutSockaddr(&sa, ap, tc.v6); !ok {
			t.Fatalf("%s: refused", tc.in)
		}
		want := tc.back
		if want == "" {
			want = tc.in
		}
		if got := sender(&sa); got.String() != want {
			t.Errorf("%s: read back as %s, want %s", tc.in, got, want)
		}
	}
	var sa syscall.RawSockaddrAny
	if _, ok := PutSockaddr(&sa, netip.MustParseAddrPort("[::1]:5060"), false); ok {
		t.Error("an IPv6 destination on an IPv4 socket was not refused")
	}
}
