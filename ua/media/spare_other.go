//go:build !unix

package media

import "net"

// spareSupported is false here: without a non-blocking read to discard
// what a spare received, every call binds its own sockets.
const spareSupported = false

func drain(*net.UDPConn, int) bool { return false }
