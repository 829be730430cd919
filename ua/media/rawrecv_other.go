//go:build !linux || !(amd64 || arm || arm64)

package media

import (
	"errors"
	"net"
	"net/netip"
)

// rawReceiver is not available here: the session keeps its reader
// goroutine (see rawrecv_linux.go).
type rawReceiver struct{}

const rawRecvSupported = false

func newRawReceiver(*net.UDPConn) (*rawReceiver, error) {
	return nil, errors.New("non-blocking receive not supported on this platform")
}

func (*rawReceiver) recv([]byte) (int, netip.AddrPort, bool) { return 0, netip.AddrPort{}, false }

func (*rawReceiver) send([]byte, netip.AddrPort) error { return errors.New("raw send not supported") }
