//go:build unix

package media

import (
	"errors"
	"net"
	"syscall"
)

// spareSupported reports whether this platform keeps spare sessions
// (spare.go): it can discard what a socket received without waiting.
const spareSupported = true

// drain discards the datagrams queued on c, at most max of them, without
// waiting (the socket is non-blocking: read(2) returns EAGAIN when none
// is left; a datagram longer than the buffer is discarded whole). It
// reports whether the queue was found empty.
func drain(c *net.UDPConn, max int) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	empty := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		for range max {
			_, err := syscall.Read(int(fd), buf[:])
			if errors.Is(err, syscall.EAGAIN) {
				empty = true
				return true
			}
			if err != nil && !errors.Is(err, syscall.EINTR) {
				return true
			}
		}
		return true // never wait
	})
	return err == nil && empty
}
