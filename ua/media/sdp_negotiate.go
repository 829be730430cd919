package media

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
)

// stream is what one remote m=audio line offers or answers.
type stream struct {
	codecs  []Codec // in the peer's order
	eventPT int     // telephone-event/8000 payload type, -1 when absent
	ptime   int     // ms, 0 when absent
	maxp    int     // a=maxptime in ms, 0 when absent
	dir     Direction
	rtp     netip.AddrPort
	rtcp    netip.AddrPort
}

// connAddr returns the address of the media-level c= or else the
// session-level one.
func connAddr(d *sdp.SessionDescription, m *sdp.MediaDescription) (netip.Addr, error) {
	c := m.ConnectionInformation
	if c == nil {
		c = d.ConnectionInformation
	}
	if c == nil || c.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: no c= line for m=%s", ErrBadSDP, m.MediaName.Media)
	}
	if !strings.EqualFold(c.NetworkType, "IN") {
		return netip.Addr{}, fmt.Errorf("%w: network type %q is not IN", ErrBadSDP, c.NetworkType)
	}
	ip, err := netip.ParseAddr(c.Address.Address)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%w: c= address %q is not an IP address", ErrBadSDP, c.Address.Address)
	}
	return ip.Unmap(), nil
}

// describe reads one m=audio line of d.
func describe(d *sdp.SessionDescription, m *sdp.MediaDescription) (stream, error) {
	st := stream{eventPT: -1}
	ip, err := connAddr(d, m)
	if err != nil {
		return st, err
	}
	port := m.MediaName.Port.Value
	if port <= 0 || port > 65535 {
		return st, fmt.Errorf("%w: m=audio port %d out of range", ErrBadSDP, port)
	}
	st.rtp = netip.AddrPortFrom(ip, uint16(port))
	st.rtcp = netip.AddrPortFrom(ip, uint16(port+1))
	if port == 65535 {
		st.rtcp = st.rtp
	}
	rtpmap := map[int]string{}
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, rest, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(pt); err == nil {
				rtpmap[n] = strings.ToLower(strings.TrimSpace(rest))
			}
		case "ptime":
			st.ptime = parseMS(a.Value)
		case "maxptime":
			st.maxp = parseMS(a.Value)
		case "rtcp":
			f, _, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.Atoi(f); err == nil && n > 0 && n <= 65535 {
				st.rtcp = netip.AddrPortFrom(ip, uint16(n))
			}
		}
	}
	for _, f := range m.MediaName.Formats {
		pt, err := strconv.Atoi(f)
		if err != nil || pt < 0 || pt > 127 {
			continue
		}
		name, ok := rtpmap[pt]
		if !ok {
			switch pt { // static payload types need no rtpmap
			case 0:
				name = "pcmu/8000"
			case 8:
				name = "pcma/8000"
			case 9:
				name = "g722/8000"
			}
		}
		switch {
		case name == "pcmu/8000" || name == "pcmu/8000/1":
			st.codecs = append(st.codecs, Codec{Name: PCMU, PT: uint8(pt)})
		case name == "pcma/8000" || name == "pcma/8000/1":
			st.codecs = append(st.codecs, Codec{Name: PCMA, PT: uint8(pt)})
		case name == "g722/8000" || name == "g722/8000/1":
			st.codecs = append(st.codecs, Codec{Name: G722, PT: uint8(pt)})
		case name == "telephone-event/8000" && st.eventPT < 0:
			st.eventPT = pt
		}
	}
	var ok bool
	if st.dir, ok = directionOf(m.Attributes); !ok {
		st.dir, _ = directionOf(d.Attributes)
	}
	if !ip.IsValid() || ip.IsUnspecified() { // RFC 2543 hold: do not send to it
		st.dir &^= RecvOnly
	}
	return st, nil
}

// parseMS parses an a=ptime value ("20" or "20.0") in milliseconds.
func parseMS(v string) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 1 || f > 1000 {
		return 0
	}
	return int(f)
}

// sendPTime picks the packetisation we send with: the peer's ptime when it
// gave one we can produce (10-60 ms, rounded to 10 ms), else ours, and
// never above its maxptime.
func (s *SDP) sendPTime(st stream) time.Duration {
	p := s.cfg.PTime
	if st.ptime > 0 {
		p = min(max((st.ptime+5)/10*10, 10), 60)
	}
	if st.maxp >= 10 && p > st.maxp {
		p = st.maxp / 10 * 10
	}
	if p <= 0 {
		p = 20
	}
	return time.Duration(p) * time.Millisecond
}

// acceptable reports whether an m= line is an RTP/AVP, RTP/SAVP or
// UDP/TLS/RTP/SAVP(F) audio stream that is not disabled (SAVP and DTLS
// are then checked by answerCrypto).
func acceptable(m *sdp.MediaDescription) bool {
	proto := strings.Join(m.MediaName.Protos, "/")
	return m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 &&
		(strings.EqualFold(proto, "RTP/AVP") || strings.EqualFold(proto, "RTP/SAVP") || isDTLSProto(m))
}

// Answer answers the SDP offer with local direction dir (SendRecv
// normally; SendOnly or Inactive while we hold the call). It accepts the
// first audio stream that shares a codec, choosing the codec by our
// configured preference, and rejects every other stream with port 0. The
// answer's direction mirrors the offer's (sendonly ↔ recvonly, c=0.0.0.0
// treated as not receiving). It returns an error wrapping ErrBadSDP or
// ErrNoCommonCodec when the offer cannot be accepted.
func (s *SDP) Answer(offer []byte, dir Direction) ([]byte, Negotiated, error) {
	od, err := parse("offer", offer)
	if err != nil {
		return nil, Negotiated{}, err
	}
	ans := s.base()
	var neg Negotiated
	accepted, firstErr := false, error(nil)
	for _, m := range od.MediaDescriptions {
		if !accepted && acceptable(m) {
			n, md, err := s.answerStream(od, m, dir)
			if err == nil {
				ans.MediaDescriptions = append(ans.MediaDescriptions, md)
				neg, accepted = n, true
				continue
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		ans.MediaDescriptions = append(ans.MediaDescriptions, rejected(m))
	}
	if !accepted {
		s.version-- // nothing was sent
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: no RTP/AVP audio stream offered", ErrNoCommonCodec)
		}
		return nil, Negotiated{}, fmt.Errorf("answer SDP offer: %w", firstErr)
	}
	b, err := ans.Marshal()
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("marshal SDP answer: %w", err)
	}
	return b, neg, nil
}

// answerStream negotiates one offered audio stream.
func (s *SDP) answerStream(od *sdp.SessionDescription, m *sdp.MediaDescription, dir Direction) (Negotiated, *sdp.MediaDescription, error) {
	st, err := describe(od, m)
	if err != nil {
		return Negotiated{}, nil, err
	}
	var chosen *Codec
	for _, want := range s.codecs {
		for i := range st.codecs {
			if st.codecs[i].Name == want.Name {
				chosen = &st.codecs[i]
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		return Negotiated{}, nil, fmt.Errorf("%w: offered %v, we support %v", ErrNoCommonCodec, st.codecs, s.codecs)
	}
	d := dir & st.dir.reverse()
	neg := Negotiated{Remote: st.rtp, RemoteRTCP: st.rtcp, Codec: *chosen,
		EventPT: st.eventPT, RecvEventPT: st.eventPT, PTime: s.sendPTime(st), Direction: d}
	md := s.audioMedia([]Codec{*chosen}, st.eventPT, d)
	if neg.SRTP, err = s.answerCrypto(od, m, md); err != nil { // sdp_crypto.go
		return Negotiated{}, nil, err
	}
	return neg, md, nil
}

// rejected returns the answer's copy of an m= line that is refused.
func rejected(m *sdp.MediaDescription) *sdp.MediaDescription {
	formats := m.MediaName.Formats
	if len(formats) == 0 {
		formats = []string{"0"}
	}
	return &sdp.MediaDescription{MediaName: sdp.MediaName{Media: m.MediaName.Media,
		Protos: m.MediaName.Protos, Formats: formats}}
}

// ParseAnswer reads the peer's answer to our last Offer. It returns an
// error wrapping ErrBadSDP for a malformed answer or one that does not
// match the offer, and ErrNoCommonCodec when the peer rejected the audio
// stream or chose no codec we offered.
func (s *SDP) ParseAnswer(answer []byte) (Negotiated, error) {
	if s.offer == nil {
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w: no offer was sent", ErrBadSDP)
	}
	ad, err := parse("answer", answer)
	if err != nil {
		return Negotiated{}, err
	}
	m := ad.MediaDescriptions[0]
	if m.MediaName.Media != "audio" {
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w: first m= line is %q, offered audio", ErrBadSDP, m.MediaName.Media)
	}
	if m.MediaName.Port.Value == 0 {
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w: peer rejected the audio stream", ErrNoCommonCodec)
	}
	st, err := describe(ad, m)
	if err != nil {
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w", err)
	}
	neg := Negotiated{Remote: st.rtp, RemoteRTCP: st.rtcp, EventPT: st.eventPT, RecvEventPT: -1, PTime: s.sendPTime(st)}
	found := false
	for _, c := range st.codecs {
		for _, o := range s.codecs {
			if c.Name == o.Name && !found {
				neg.Codec, found = c, true
			}
		}
	}
	if !found {
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w: answer has %v, offered %v", ErrNoCommonCodec, st.codecs, s.codecs)
	}
	if st.eventPT >= 0 {
		neg.RecvEventPT = s.offerPT
	}
	ourDir, _ := directionOf(s.offer.MediaDescriptions[0].Attributes)
	neg.Direction = ourDir & st.dir.reverse()
	if neg.SRTP, err = s.answeredCrypto(ad, m); err != nil { // sdp_crypto.go
		return Negotiated{}, fmt.Errorf("parse SDP answer: %w", err)
	}
	return neg, nil
}
