//go:build !linux || !(amd64 || arm || arm64)

package rawudp

import "net"

// Wrap returns c itself: the raw calls are those of Linux on amd64, arm
// and arm64 (linux/386 multiplexes its socket calls).
func Wrap(c *net.UDPConn) net.PacketConn { return c }
