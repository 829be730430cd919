//go:build linux && (amd64 || arm || arm64)

package rawudp

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// The socket addresses of raw sendto and recvfrom calls, shared with the
// media path's own raw receiver (ua/media).

// IsIPv6 reports whether the socket behind rc is an AF_INET6 one (then
// IPv4 peers are v4-mapped addresses).
func IsIPv6(rc syscall.RawConn) (bool, error) {
	var v6 bool
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var sa syscall.Sockaddr
		if sa, serr = syscall.Getsockname(int(fd)); serr == nil {
			_, v6 = sa.(*syscall.SockaddrInet6)
		}
	}); err != nil {
		return false, err
	}
	return v6, serr
}

// AddrPort is the address in sa as received (a v4-mapped address as
// IPv4), without its zone, and the IPv6 scope (interface number; 0 when
// none): no allocation.
func AddrPort(sa *syscall.RawSockaddrAny) (netip.AddrPort, uint32) {
	switch sa.Addr.Family {
	case syscall.AF_INET:
		s := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(p[0])<<8|uint16(p[1])), 0
	case syscall.AF_INET6:
		s := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		a := netip.AddrFrom16(s.Addr).Unmap()
		scope := s.Scope_id
		if a.Is4() {
			scope = 0
		}
		return netip.AddrPortFrom(a, uint16(p[0])<<8|uint16(p[1])), scope
	}
	return netip.AddrPort{}, 0
}

// zoneName is an interface index as a zone: its number, not its name,
// whose lookup is a netlink dump (per datagram, for a stranger on the
// link to trigger at will); net and netip take numeric zones.
func zoneName(idx uint32) string { return strconv.FormatUint(uint64(idx), 10) }

// PutSockaddr writes ap into sa for a socket of the family v6 says and
// returns its length; false when the socket cannot reach ap (IPv6 on an
// IPv4 socket).
func PutSockaddr(sa *syscall.RawSockaddrAny, ap netip.AddrPort, v6 bool) (uint32, bool) {
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
