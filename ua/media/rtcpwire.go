package media

import (
	"errors"
	"fmt"

	"github.com/pion/rtcp"
)

// errRTCPEmpty and errRTCPShort are parseRTCP's errors for a datagram with
// no packet and for a packet whose length field runs past the datagram.
var (
	errRTCPEmpty = errors.New("empty RTCP datagram")
	errRTCPShort = errors.New("RTCP packet longer than its datagram")
)

// parseRTCP walks a compound RTCP datagram (RFC 3550 §6.1) and returns the
// packets a session reads: its sender and receiver reports. Every packet's
// header and length are checked; other types (SDES, BYE, APP, feedback)
// are skipped, as RFC 3550 §6.1 lets a receiver do with what it does not use.
//
// It replaces rtcp.Unmarshal, which boxes every packet type in the
// rtcp.Packet interface: that keeps pion/rtcp's reflection-based String
// methods (reflect.Value.MethodByName with a computed name) in the binary,
// and a reachable MethodByName turns off the linker's removal of unused
// methods for the whole program (TestLinkerPrunesMethods).
func parseRTCP(b []byte) ([]rtcp.Packet, error) {
	if len(b) == 0 {
		return nil, errRTCPEmpty
	}
	var pkts []rtcp.Packet
	for len(b) > 0 {
		var h rtcp.Header
		if err := h.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("RTCP header at %d bytes from the end: %w", len(b), err)
		}
		n := (int(h.Length) + 1) * 4
		if n > len(b) {
			return nil, fmt.Errorf("RTCP packet type %d of %d bytes in %d: %w", h.Type, n, len(b), errRTCPShort)
		}
		var p rtcp.Packet
		switch h.Type {
		case rtcp.TypeSenderReport:
			p = new(rtcp.SenderReport)
		case rtcp.TypeReceiverReport:
			p = new(rtcp.ReceiverReport)
		}
		if p != nil {
			if err := p.Unmarshal(b[:n]); err != nil {
				return nil, fmt.Errorf("RTCP packet type %d: %w", h.Type, err)
			}
			pkts = append(pkts, p)
		}
		b = b[n:]
	}
	return pkts, nil
}
