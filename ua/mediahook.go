package ua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/sipbell/sipbell/ua/media"
)

// ErrNoMedia is returned by SendDTMF when no media handler runs RTP.
var ErrNoMedia = errors.New("ua: no media handler")

// MediaHandler runs the RTP side of calls; it is the seam between this
// package and ua/media's RTP sessions. The UA calls it from call
// goroutines; implementations must be safe for concurrent calls.
type MediaHandler interface {
	// Open reserves media for a new call (binds the RTP socket on ip) and
	// returns the local RTP address to put into SDP.
	Open(ctx context.Context, ip netip.Addr, call MediaCall) (netip.AddrPort, error)
	// Start is called when the call is confirmed with the negotiated
	// description, and again after each accepted re-INVITE (hold, unhold,
	// new address).
	Start(callID string, n media.Negotiated) error
	// SendDTMF sends one RFC 4733 digit on the call.
	SendDTMF(callID string, digit byte) error
	// Close ends the call's media. It is called exactly once per Open.
	Close(callID string)
}

// MediaCall identifies a call to the MediaHandler and lets it report back.
type MediaCall struct {
	ID        string
	OnDTMF    func(digit byte) // a received RFC 4733 digit
	OnTimeout func()           // RTP stopped arriving: the UA hangs up
}

// portMedia is the default MediaHandler: it reserves an RTP port from the
// media configuration's range so SDP is correct, and carries no audio.
type portMedia struct {
	cfg   media.Config
	mu    sync.Mutex
	socks map[string]net.PacketConn
	next  int
}

func newPortMedia(cfg media.Config) *portMedia {
	return &portMedia{cfg: cfg, socks: map[string]net.PacketConn{}, next: cfg.RTPPortMin &^ 1}
}

func (p *portMedia) Open(_ context.Context, ip netip.Addr, c MediaCall) (netip.AddrPort, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.cfg.RTPPortMax - p.cfg.RTPPortMin) / 2
	for i := 0; i <= span && i < 200; i++ {
		port := p.next
		p.next += 2
		if p.next+1 > p.cfg.RTPPortMax {
			p.next = p.cfg.RTPPortMin &^ 1
		}
		if port < p.cfg.RTPPortMin {
			continue
		}
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, uint16(port)).String())
		if err != nil {
			continue
		}
		p.socks[c.ID] = pc
		return netip.AddrPortFrom(ip, uint16(port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("ua: no free RTP port in %d-%d", p.cfg.RTPPortMin, p.cfg.RTPPortMax)
}

func (p *portMedia) Start(string, media.Negotiated) error { return nil }

func (p *portMedia) SendDTMF(string, byte) error { return ErrNoMedia }

func (p *portMedia) Close(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc, ok := p.socks[id]; ok {
		pc.Close()
		delete(p.socks, id)
	}
}
