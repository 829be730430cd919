package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ErrBadDTMF is wrapped by errors about a digit or a DTMF body that cannot
// be understood.
var ErrBadDTMF = errors.New("bad DTMF")

const dtmfDigits = "0123456789*#ABCD"

// eventDigit maps an RFC 4733 event code (0-15) to its digit.
func eventDigit(code uint8) (rune, bool) {
	if int(code) < len(dtmfDigits) {
		return rune(dtmfDigits[code]), true
	}
	return 0, false
}

// digitEvent maps a digit to its RFC 4733 event code.
func digitEvent(d rune) (uint8, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	i := strings.IndexRune(dtmfDigits, d)
	return uint8(i), i >= 0
}

// telephoneEvent is the 4-byte RFC 4733 payload.
type telephoneEvent struct {
	Code     uint8
	End      bool
	Volume   uint8  // -dBm0, 0-63
	Duration uint16 // in timestamp units
}

func parseEvent(b []byte) (telephoneEvent, bool) {
	if len(b) < 4 {
		return telephoneEvent{}, false
	}
	return telephoneEvent{Code: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f,
		Duration: uint16(b[2])<<8 | uint16(b[3])}, true
}

func (e telephoneEvent) put(b []byte) {
	b[0] = e.Code
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	b[2], b[3] = byte(e.Duration>>8), byte(e.Duration)
}

// ParseDTMFInfo reads the body of a SIP INFO carrying a digit:
// contentType "application/dtmf-relay" ("Signal=5\r\nDuration=160") or
// "application/dtmf" ("5"). Duration is zero when the body has none. The
// digits are 0-9, *, #, A-D; event codes 10 and 11 are accepted for * and #.
func ParseDTMFInfo(contentType string, body []byte) (digit rune, dur time.Duration, err error) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	var sig string
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		for _, line := range strings.FieldsFunc(string(body), func(r rune) bool { return r == '\n' || r == '\r' }) {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				sig = strings.TrimSpace(v)
			case "duration":
				if ms, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && ms > 0 && ms < 60000 {
					dur = time.Duration(ms) * time.Millisecond
				}
			}
		}
	case "application/dtmf":
		sig = strings.TrimSpace(string(body))
	default:
		return 0, 0, fmt.Errorf("parse DTMF INFO: %w: content type %q", ErrBadDTMF, contentType)
	}
	switch sig {
	case "10":
		sig = "*"
	case "11":
		sig = "#"
	}
	if len(sig) == 1 {
		if _, ok := digitEvent(rune(sig[0])); ok {
			d := rune(sig[0])
			if d >= 'a' {
				d -= 'a' - 'A'
			}
			return d, dur, nil
		}
	}
	return 0, 0, fmt.Errorf("parse DTMF INFO: %w: signal %q", ErrBadDTMF, sig)
}

// DTMFSource says where a digit was detected.
type DTMFSource uint8

// The three ways a peer can send a digit.
const (
	DTMFRFC4733 DTMFSource = iota + 1 // RTP telephone-event
	DTMFInfo                          // SIP INFO
	DTMFInband                        // tones in the audio (Goertzel)
)

// DTMFMerger turns digits from RFC 4733, SIP INFO and in-band detection
// into one stream without duplicates: a peer that sends both RFC 4733 and
// INFO (or whose RFC 4733 digits are also audible in-band) produces each
// key press once. A digit from one source is dropped when the same digit
// came from a different source within Window before and has not already
// been matched with a copy from this source. Repeated presses from the
// same source always pass. The zero value is not usable; use NewDTMFMerger.
// It is not safe for concurrent use (the device's state machine owns it).
type DTMFMerger struct {
	window time.Duration
	recent []mergedDigit
}

type mergedDigit struct {
	digit   rune
	at      time.Time
	sources uint8 // bit per DTMFSource that reported this press
}

// NewDTMFMerger returns a merger matching copies within window (about a
// second covers INFO sent after the RTP events and the Goertzel delay).
func NewDTMFMerger(window time.Duration) *DTMFMerger {
	return &DTMFMerger{window: window}
}

// Add reports a digit from src seen at t and returns whether it is a new
// key press to act on.
func (m *DTMFMerger) Add(src DTMFSource, digit rune, t time.Time) bool {
	keep := m.recent[:0]
	for _, r := range m.recent {
		if t.Sub(r.at) <= m.window {
			keep = append(keep, r)
		}
	}
	m.recent = keep
	bit := uint8(1) << src
	for i := range m.recent {
		r := &m.recent[i]
		if r.digit == digit && r.sources&bit == 0 {
			r.sources |= bit // this source's copy of a press already acted on
			return false
		}
	}
	m.recent = append(m.recent, mergedDigit{digit: digit, at: t, sources: bit})
	return true
}

// Digits in the media (RFC 4733 events, in-band tones) are acted on only
// when they come from the call's media peer: the source RTP is latched
// to, when that is the address the SDP named. Symmetric RTP latches to
// whichever source sends first (a peer behind NAT sends from another
// address than its SDP says), so a stranger sending to the RTP port
// before the peer would otherwise have its digits reach the door. A
// packet from exactly the address the SDP named takes the latch back, so
// such a stranger cannot lock the peer out either. Digits in SIP INFO are
// bound to the caller by the user agent instead. A peer whose SDP names
// an address it does not send from (NAT without SDP fix-up) keeps its
// audio, but its digits in the media are ignored (counted as rejected,
// logged once per call): it can send them by SIP INFO.

// mediaPeer reports whether RTP is latched to the address the SDP named.
// Called with s.mu held.
func (s *Session) mediaPeer() bool {
	return s.peer.latched && s.peer.rtpAddr.Addr() == s.neg.Remote.Addr()
}

// relatchToSDP moves the latch to src when src is exactly the address the
// SDP named and another source had latched; it reports whether it did.
// Called with s.mu held.
func (s *Session) relatchToSDP(src netip.AddrPort) bool {
	if !s.peer.latched || src != s.neg.Remote || s.peer.rtpAddr == src {
		return false
	}
	s.log.Warn("RTP latched back to the address the SDP named", "was", s.peer.rtpAddr, "sdp", src)
	s.peer.rtpAddr = src
	if !s.peer.rtcpLatch {
		s.peer.rtcpAddr = s.neg.RemoteRTCP
	}
	return true
}

// digitAllowed reports whether a digit from src may be reported: from
// SIP INFO always (the user agent checked its sender), from the media
// only when they come from the media peer. Called with s.mu held.
func (s *Session) digitAllowed(src DTMFSource) bool {
	if src == DTMFInfo || s.mediaPeer() {
		return true
	}
	s.peer.rejected++
	if !s.peer.digitWarned {
		s.peer.digitWarned = true
		s.log.Warn("DTMF in the media ignored: it does not come from the address the SDP named",
			"source", s.peer.rtpAddr, "sdp", s.neg.Remote)
	}
	return false
}
