//go:build linux && (amd64 || arm || arm64)

package media

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// rawReceiver reads one datagram from a UDP socket without waiting: a
// recvfrom(2) with MSG_DONTWAIT through the socket's RawConn, so that the
// media loop takes what arrived since its last frame with no reader
// goroutine, no netpoller wake-up and no allocation (the closure and the
// address buffer are made once).
type rawReceiver struct {
	rc    syscall.RawConn
	read  func(fd uintptr) bool
	buf   []byte
	n     int
	errno syscall.Errno
	from  syscall.RawSockaddrAny
	flen  uint32
}

// rawRecvSupported reports whether this platform has rawReceiver.
const rawRecvSupported = true

func newRawReceiver(c *net.UDPConn) (*rawReceiver, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawReceiver{rc: rc}
	r.read = func(fd uintptr) bool {
		r.flen = uint32(unsafe.Sizeof(r.from))
		n, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&r.flen)))
		r.n, r.errno = int(n), e
		return true // never wait
	}
	return r, nil
}

// recv reads one waiting datagram into buf; ok is false when none is
// waiting (or the socket is closed).
func (r *rawReceiver) recv(buf []byte) (n int, src netip.AddrPort, ok bool) {
	r.buf = buf
	err := r.rc.Read(r.read)
	r.buf = nil
	if err != nil || r.errno != 0 {
		return 0, netip.AddrPort{}, false
	}
	switch r.from.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&r.from))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return r.n, netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1])), true
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&r.from))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return r.n, netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1])), true
	}
	return 0, netip.AddrPort{}, false
}
