package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
)

// ErrBadSDP is wrapped by errors for a body that is not usable SDP
// (syntax, missing or unresolvable connection address, no media lines).
var ErrBadSDP = errors.New("unusable SDP")

// ErrNoCommonCodec is wrapped by errors when no audio stream can be
// accepted: no shared codec, no audio stream, or every stream rejected.
// A UAS answers such an offer with 488 Not Acceptable Here.
var ErrNoCommonCodec = errors.New("no common codec")

// Codec is an audio codec and the RTP payload type it is carried in:
// G.711 (PCMU, PCMA) at 8 kHz or G.722 at 16 kHz. All three have an RTP
// clock of 8000 Hz (RFC 3551 §4.5.2 keeps G.722's at 8000 although it
// samples at 16 kHz), so a 20 ms packet advances the timestamp by 160
// and carries 160 bytes with each of them.
type Codec struct {
	Name string // "PCMU", "PCMA" or "G722"
	PT   uint8
}

// Codec names.
const (
	PCMU = "PCMU"
	PCMA = "PCMA"
	G722 = "G722"
)

// ClockRate is the RTP timestamp rate of every supported codec, in Hz.
const ClockRate = 8000

// Rate returns the codec's sampling rate in Hz: 16000 for G.722, 8000
// for G.711.
func (c Codec) Rate() int {
	if c.Name == G722 {
		return 16000
	}
	return 8000
}

// FrameSamples returns the samples in one 20 ms frame at the codec's
// rate (160 or 320).
func (c Codec) FrameSamples() int { return c.Rate() / 50 }

// staticCodec returns the codec by (case-insensitive) name with its static
// payload type.
func staticCodec(name string) (Codec, bool) {
	switch strings.ToUpper(name) {
	case PCMU:
		return Codec{Name: PCMU, PT: 0}, true
	case PCMA:
		return Codec{Name: PCMA, PT: 8}, true
	case G722:
		return Codec{Name: G722, PT: 9}, true
	}
	return Codec{}, false
}

// Direction is an SDP stream direction seen from the local side: whether
// we send, receive, both or neither.
type Direction uint8

// The four SDP directions (RFC 3264 §5.1). The bits are "we send" (1) and
// "we receive" (2).
const (
	Inactive Direction = 0
	SendOnly Direction = 1
	RecvOnly Direction = 2
	SendRecv Direction = 3
)

// Sends reports whether media is sent in this direction.
func (d Direction) Sends() bool { return d&SendOnly != 0 }

// Receives reports whether media is expected in this direction.
func (d Direction) Receives() bool { return d&RecvOnly != 0 }

// String returns the SDP attribute name ("sendrecv", ...).
func (d Direction) String() string {
	switch d & SendRecv {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case SendRecv:
		return "sendrecv"
	}
	return "inactive"
}

// reverse returns the direction seen from the other side.
func (d Direction) reverse() Direction { return (d&SendOnly)<<1 | (d&RecvOnly)>>1 }

// directionOf returns the direction attribute in attrs, if any.
func directionOf(attrs []sdp.Attribute) (Direction, bool) {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv":
			return SendRecv, true
		case "sendonly":
			return SendOnly, true
		case "recvonly":
			return RecvOnly, true
		case "inactive":
			return Inactive, true
		}
	}
	return SendRecv, false
}

// Negotiated is the outcome of an offer/answer exchange: what the RTP
// session needs to know.
type Negotiated struct {
	// Remote is the peer's RTP address. Its address is unspecified
	// (0.0.0.0) when the peer put the call on hold the RFC 2543 way.
	Remote netip.AddrPort
	// RemoteRTCP is the peer's RTCP address (a=rtcp, else RTP port + 1).
	RemoteRTCP netip.AddrPort
	// Codec is the audio codec and payload type, sent and expected.
	Codec Codec
	// EventPT is the telephone-event payload type we send DTMF with, and
	// RecvEventPT the one we expect; -1 when the peer has none.
	EventPT, RecvEventPT int
	// PTime is the packetisation time of what we send.
	PTime time.Duration
	// Direction is what we do: Direction.Sends() means send RTP,
	// Direction.Receives() means expect RTP (and watch for inactivity).
	Direction Direction
	// SRTP is the media transform when the call is encrypted (SDES,
	// sdp_crypto.go), nil for plain RTP.
	SRTP *SRTP
}

// SDP is the local side of one call's SDP state. Create it with NewSDP
// once the RTP port is bound; it is not safe for concurrent use.
type SDP struct {
	cfg     Config
	codecs  []Codec
	local   netip.AddrPort
	id      uint64
	version uint64
	offer   *sdp.SessionDescription // last offer sent, for ParseAnswer
	offerPT int                     // telephone-event PT in that offer
	sdes    sdesState               // SRTP keys and policy (sdp_crypto.go)
}

// NewSDP returns the SDP state for a call whose RTP socket is bound to
// local (the address put in c= and o=, and the m= port). cfg should have
// passed Validate; unknown codec names in it are skipped.
func NewSDP(cfg Config, local netip.AddrPort) *SDP {
	s := &SDP{cfg: cfg, local: local, id: rand.Uint64N(1 << 62), version: rand.Uint64N(1 << 31)}
	for _, name := range cfg.Codecs {
		if c, ok := staticCodec(name); ok {
			s.codecs = append(s.codecs, c)
		}
	}
	return s
}

// base returns a session description with o=, s=, c= and t= filled in and
// the o= version incremented.
func (s *SDP) base() *sdp.SessionDescription {
	s.version++
	addrType, ip := "IP4", s.local.Addr().Unmap()
	if ip.Is6() {
		addrType = "IP6"
	}
	return &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "sipbell", SessionID: s.id, SessionVersion: s.version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.String()},
		SessionName: "sipbell",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType,
			Address: &sdp.Address{Address: ip.String()}},
		TimeDescriptions: []sdp.TimeDescription{{}},
	}
}

// audioMedia returns an m=audio line for codecs and telephone-event
// payload type ev (-1 for none) with the given direction.
func (s *SDP) audioMedia(codecs []Codec, ev int, dir Direction) *sdp.MediaDescription {
	m := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "audio",
		Port: sdp.RangedPort{Value: int(s.local.Port())}, Protos: []string{"RTP", "AVP"}}}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PT))
		m.MediaName.Formats = append(m.MediaName.Formats, pt)
		m.Attributes = append(m.Attributes, sdp.NewAttribute("rtpmap", pt+" "+c.Name+"/"+strconv.Itoa(ClockRate)))
	}
	if ev >= 0 {
		pt := strconv.Itoa(ev)
		m.MediaName.Formats = append(m.MediaName.Formats, pt)
		m.Attributes = append(m.Attributes,
			sdp.NewAttribute("rtpmap", pt+" telephone-event/8000"),
			sdp.NewAttribute("fmtp", pt+" 0-16"))
	}
	m.Attributes = append(m.Attributes,
		sdp.NewAttribute("ptime", strconv.Itoa(s.cfg.PTime)),
		sdp.NewPropertyAttribute(dir.String()))
	return m
}

// Offer returns an SDP offer with one audio stream listing the configured
// codecs in preference order and telephone-event, with direction dir
// (SendRecv normally, SendOnly or Inactive to put the peer on hold).
// Every call increments the o= version.
func (s *SDP) Offer(dir Direction) ([]byte, error) {
	d := s.base()
	s.offerPT = s.cfg.DTMFPayloadType
	d.MediaDescriptions = []*sdp.MediaDescription{s.audioMedia(s.codecs, s.offerPT, dir)}
	if err := s.offerCrypto(d.MediaDescriptions[0]); err != nil {
		return nil, err
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal SDP offer: %w", err)
	}
	s.offer = d
	return b, nil
}

// parse unmarshals body, wrapping failures in ErrBadSDP.
func parse(what string, body []byte) (*sdp.SessionDescription, error) {
	d := &sdp.SessionDescription{}
	if err := d.UnmarshalString(string(body)); err != nil {
		return nil, fmt.Errorf("parse SDP %s: %w: %w", what, ErrBadSDP, err)
	}
	if len(d.MediaDescriptions) == 0 {
		return nil, fmt.Errorf("parse SDP %s: %w: no m= line", what, ErrBadSDP)
	}
	return d, nil
}
