package rawudp

import (
	"net"
	"net/netip"
	"os"
	"strconv"
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
	var family int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var sa syscall.Sockaddr
		if sa, serr = syscall.Getsockname(int(fd)); serr == nil {
			if _, ok := sa.(*syscall.SockaddrInet6); ok {
				family = syscall.AF_INET6
			} else {
				family = syscall.AF_INET
			}
		}
	}); err != nil || serr != nil {
		return c
	}
	w := &Conn{UDPConn: c, rc: rc, v6: family == syscall.AF_INET6}
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
	return o.n, fromSockaddr(&o.sa), nil
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
	if o.salen, ok = toSockaddr(&o.sa, ap, c.v6); !ok {
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

// fromSockaddr is a received sender's address (a v4-mapped address as
// IPv4).
func fromSockaddr(sa *syscall.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case syscall.AF_INET:
		s := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(p[0])<<8|uint16(p[1]))
	case syscall.AF_INET6:
		s := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		a := netip.AddrFrom16(s.Addr).Unmap()
		if !a.Is4() && s.Scope_id != 0 {
			a = a.WithZone(zoneName(s.Scope_id))
		}
		return netip.AddrPortFrom(a, uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// zoneName is an interface index as a zone: its number, not its name,
// whose lookup is a netlink dump (per datagram, for a stranger on the
// link to trigger at will); net and netip take numeric zones.
func zoneName(idx uint32) string { return strconv.FormatUint(uint64(idx), 10) }

// toSockaddr writes ap into sa for a socket of the family v6 says and
// returns its length; false when the socket cannot reach ap (IPv6 on an
// IPv4 socket).
func toSockaddr(sa *syscall.RawSockaddrAny, ap netip.AddrPort, v6 bool) (uint32, bool) {
	*sa = syscall.RawSockaddrAny{}
	a := ap.Addr()
	if !v6 {
		a = a.Unmap()
		if !a.Is4() {
			return 0, false
		}
		s := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		s.Family = syscall.AF_INET
		s.Addr = a.As4()
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		p[0], p[1] = byte(ap.Port()>>8), byte(ap.Port())
		return uint32(unsafe.Sizeof(*s)), true
	}
	s := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
	s.Family = syscall.AF_INET6
	s.Addr = a.As16() // an IPv4 address v4-mapped
	if z := a.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			s.Scope_id = uint32(n)
		} else if ifi, err := net.InterfaceByName(z); err == nil {
			s.Scope_id = uint32(ifi.Index) // a name given to WriteTo
		}
	}
	p := (*[2]byte)(unsafe.Pointer(&s.Port))
	p[0], p[1] = byte(ap.Port()>>8), byte(ap.Port())
	return uint32(unsafe.Sizeof(*s)), true
}
