//go:build linux && (amd64 || arm || arm64)

package rawudp

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a UDP socket read and written with raw system calls (see the
// package comment). Its methods are safe for concurrent use, as
// *net.UDPConn's are.
type Conn struct {
	*net.UDPConn // LocalAddr, Close, deadlines, socket options
	rc           syscall.RawConn
	v6           bool // an AF_INET6 socket: IPv4 peers as v4-mapped addresses
	ops          sync.Pool
}

// Wrap returns c read and written with raw system calls, or c itself when
// its descriptor cannot be reached.
func Wrap(c *net.UDPConn) net.PacketConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return c
	}
	v6, err := IsIPv6(rc)
	if err != nil {
		return c
	}
	w := &Conn{UDPConn: c, rc: rc, v6: v6}
	w.ops.New = func() any { return newOp() }
	return w
}

// op is one read or write: its callbacks are bound once, so a call makes
// no closure (the pool keeps them).
type op struct {
	buf   []byte
	sa    syscall.RawSockaddrAny
	salen uint32
	n     int
	errno syscall.Errno
	read  func(fd uintptr) bool
	write func(fd uintptr) bool
}

func newOp() *op {
	o := &op{}
	o.read = func(fd uintptr) bool {
		for {
			o.salen = uint32(unsafe.Sizeof(o.sa))
			n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, bufPtr(o.buf), uintptr(len(o.buf)),
				syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&o.sa)), uintptr(unsafe.Pointer(&o.salen)))
			if e == syscall.EINTR {
				continue
			}
			o.n, o.errno = int(n), e
			return e != syscall.EAGAIN // EAGAIN: wait in the poller, then again
		}
	}
	o.write = func(fd uintptr) bool {
		for {
			n, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, bufPtr(o.buf), uintptr(len(o.buf)),
				syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&o.sa)), uintptr(o.salen))
			if e == syscall.EINTR {
				continue
			}
			o.n, o.errno = int(n), e
			return e != syscall.EAGAIN
		}
	}
	return o
}

// bufPtr is b's first byte, or nil for an empty b.
func bufPtr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// ReadFrom reads one datagram into b (truncated to it) and returns its
// length and sender, as net.PacketConn's.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// ReadFromUDPAddrPort is ReadFrom returning the sender as a netip.AddrPort
// (no allocation).
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	o := c.ops.Get().(*op)
	defer c.put(o)
	o.buf = b
	if err := c.rc.Read(o.read); err != nil {
		return 0, netip.AddrPort{}, c.opError("read", err)
	}
	if o.errno != 0 {
		return 0, netip.AddrPort{}, c.opError("read", o.errno)
	}
	return o.n, sender(&o.sa), nil
}

// WriteTo sends b to addr, a *net.UDPAddr, as net.PacketConn's.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua == nil {
		return 0, c.opError("write", syscall.EINVAL)
	}
	return c.WriteToUDPAddrPort(b, ua.AddrPort())
}

// WriteToUDPAddrPort sends b to ap.
func (c *Conn) WriteToUDPAddrPort(b []byte, ap netip.AddrPort) (int, error) {
	o := c.ops.Get().(*op)
	defer c.put(o)
	o.buf = b
	var ok bool
	if o.salen, ok = PutSockaddr(&o.sa, ap, c.v6); !ok {
		return 0, c.opError("write", syscall.EAFNOSUPPORT)
	}
	if err := c.rc.Write(o.write); err != nil {
		return 0, c.opError("write", err)
	}
	if o.errno != 0 {
		return 0, c.opError("write", o.errno)
	}
	return o.n, nil
}

// sender is a received sender's address, an IPv6 one with its zone.
func sender(sa *syscall.RawSockaddrAny) netip.AddrPort {
	ap, scope := AddrPort(sa)
	if scope != 0 {
		ap = netip.AddrPortFrom(ap.Addr().WithZone(zoneName(scope)), ap.Port())
	}
	return ap
}

func (c *Conn) put(o *op) {
	o.buf = nil
	c.ops.Put(o)
}

// opError is err as net's own: a *net.OpError naming the operation. A
// closed socket's error (from the poller) already matches net.ErrClosed.
func (c *Conn) opError(op string, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		call := "recvfrom"
		if op == "write" {
			call = "sendto"
		}
		err = os.NewSyscallError(call, errno)
	}
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Err: err}
}
