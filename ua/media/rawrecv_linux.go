//go:build linux && (amd64 || arm || arm64)

package media

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/sipbell/sipbell/internal/rawudp"
)

// rawReceiver reads one datagram from a UDP socket without waiting: a
// recvfrom(2) with MSG_DONTWAIT through the socket's RawConn, so that the
// media loop takes what arrived since its last frame with no reader
// goroutine, no netpoller wake-up and no allocation (the closures and the
// address buffers are made once). It sends the same way (sendto(2) with
// MSG_DONTWAIT: a full socket buffer drops the packet, as the network
// would).
//
// Both calls are raw system calls: they never block, so the Go scheduler
// need not hear of them. A blocking-style call would wake the runtime's
// sysmon thread every time (issue 16: sysmon made most of a call's
// context switches).
type rawReceiver struct {
	rc    syscall.RawConn
	read  func(fd uintptr) bool
	write func(fd uintptr) bool
	buf   []byte
	n     int
	errno syscall.Errno
	from  syscall.RawSockaddrAny
	flen  uint32

	out   []byte
	to    syscall.RawSockaddrAny
	tolen uint32
	werr  syscall.Errno

	v6 bool // an AF_INET6 socket (rawudp.IsIPv6)
}

// rawRecvSupported reports whether this platform has rawReceiver.
const rawRecvSupported = true

func newRawReceiver(c *net.UDPConn) (*rawReceiver, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawReceiver{rc: rc}
	if r.v6, err = rawudp.IsIPv6(rc); err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	r.read = func(fd uintptr) bool {
		r.flen = uint32(unsafe.Sizeof(r.from))
		n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&r.flen)))
		r.n, r.errno = int(n), e
		return true // never wait
	}
	r.write = func(fd uintptr) bool {
		_, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&r.out[0])), uintptr(len(r.out)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.to)), uintptr(r.tolen))
		r.werr = e
		return true
	}
	return r, nil
}

// send sends pkt to dst without waiting. Call it from one goroutine at a
// time (the session's sender).
func (r *rawReceiver) send(pkt []byte, dst netip.AddrPort) error {
	if len(pkt) == 0 {
		return nil
	}
	var ok bool
	if r.tolen, ok = rawudp.PutSockaddr(&r.to, dst, r.v6); !ok {
		return fmt.Errorf("send to %v: %w", dst, syscall.EAFNOSUPPORT)
	}
	r.out = pkt
	err := r.rc.Write(r.write)
	r.out = nil
	if err != nil {
		return fmt.Errorf("send to %v: %w", dst, err)
	}
	if r.werr != 0 {
		return fmt.Errorf("send to %v: %w", dst, r.werr)
	}
	return nil
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
	if src, _ = rawudp.AddrPort(&r.from); !src.IsValid() {
		return 0, netip.AddrPort{}, false
	}
	return r.n, src, true
}
