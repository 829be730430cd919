package ua

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Large SIP messages over UDP (RFC 3261 §18).
//
// sipgo (v1.7.2) refuses to send any UDP datagram larger than
// sip.UDPMTUSize-200 = 1300 bytes ("size of packet larger than MTU"),
// responses included, so a caller whose INVITE crossed a few
// record-routing proxies got 100 and 180 but never its 200 OK. The RFC
// says otherwise:
//
//   - §18.1.1 is about requests: one larger than 1300 bytes (the path MTU
//     being unknown) MUST be sent over a congestion-controlled transport
//     such as TCP, the top Via changed to match; if that connection is
//     refused or reset, the element SHOULD retry over UDP. The 200 bytes
//     of headroom are there because "the response in SIP can be larger
//     than the request" (Record-Route values added to responses to INVITE).
//   - §18.2.2 sends a response back over the transport the request came
//     on; it has no size rule. A response to a UDP request goes over UDP,
//     fragmented by IP when needed, and implementations must handle UDP
//     messages up to the datagram maximum (§18.1.1).
//
// So sipgo's ceiling is lifted to the largest UDP payload (below), and
// the 1300-byte rule is applied to requests here (udpRequester), in our
// code rather than sipgo's.
const (
	maxUDPRequest  = 1300  // RFC 3261 §18.1.1, path MTU unknown
	maxUDPDatagram = 65507 // largest UDP payload over IPv4
)

func init() {
	// Process-wide in sipgo; set before any goroutine can read it.
	sip.UDPMTUSize = maxUDPDatagram + 200
}

// udpRequester is the UDP client's transaction requester: requests
// larger than maxUDPRequest go over TCP (to the same destination, from
// our TCP listener's address in Via), and back over UDP when TCP cannot
// connect. ACKs (sent outside transactions) are written directly.
type udpRequester struct {
	u        *UA
	fellBack *logEvery // TCP could not connect: logged at a bounded rate
}

// Request sends req, switching it to TCP when it is too large for UDP.
func (r udpRequester) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	u := r.u
	big := req.Via() != nil && sip.NetworkToLower(req.Transport()) == "udp" && len(req.String()) > maxUDPRequest
	if big {
		restore := r.toTCP(req)
		tx, err := r.send(ctx, req)
		if err == nil {
			return tx, nil
		}
		restore()
		if n, ok := r.fellBack.allow(u.clock.Now()); ok {
			u.log.Info("sip: large request could not go over TCP, sent over UDP (RFC 3261 §18.1.1)",
				"method", req.Method.String(), "size", len(req.String()), "dst", req.Destination(),
				"err", err, "suppressed_since_last", n)
		}
	}
	return r.send(ctx, req)
}

func (r udpRequester) send(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	if req.IsAck() {
		if err := r.u.sua.TransportLayer().WriteMsg(req); err != nil {
			return nil, fmt.Errorf("ua: send ACK to %s: %w", req.Destination(), err)
		}
		return nil, nil
	}
	return r.u.sua.TransactionLayer().Request(ctx, req)
}

// toTCP moves req to TCP: transport, top Via (sent-by our listener, which
// TCP shares with UDP) and no fixed local address (that is the UDP
// socket's). It returns a function undoing it.
func (r udpRequester) toTCP(req *sip.Request) func() {
	laddr := req.Laddr
	via := req.Via()
	oldTr, oldHost, oldPort := via.Transport, via.Host, via.Port
	req.SetTransport("TCP")
	req.Laddr = sip.Addr{}
	via.Transport = "TCP"
	if a := r.u.Addr(); a != nil {
		via.Host, via.Port = r.u.host, a.Port
	}
	return func() {
		req.SetTransport("UDP")
		req.Laddr = laddr
		via.Transport, via.Host, via.Port = oldTr, oldHost, oldPort
	}
}
