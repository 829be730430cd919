//go:build !linux

package rawudp

import "net"

// Wrap returns c itself: the raw calls are Linux's.
func Wrap(c *net.UDPConn) net.PacketConn { return c }
