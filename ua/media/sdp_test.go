package media

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

var localAP = netip.MustParseAddrPort("192.0.2.1:10000")

func readSDP(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, b []byte) *sdp.SessionDescription {
	t.Helper()
	d := &sdp.SessionDescription{}
	if err := d.Unmarshal(b); err != nil {
		t.Fatalf("our SDP does not parse: %v\n%s", err, b)
	}
	return d
}

func TestOfferContentAndVersion(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Codecs = []string{"PCMA", "pcmu"}
	s := NewSDP(cfg, localAP)
	b1, err := s.Offer(SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	d1 := mustParse(t, b1)
	m := d1.MediaDescriptions[0]
	if got := strings.Join(m.MediaName.Formats, " "); got != "8 0 101" {
		t.Errorf("formats = %q, want preference order 8 0 101", got)
	}
	for _, want := range []string{"a=rtpmap:101 telephone-event/8000", "a=ptime:20", "a=sendrecv",
		"c=IN IP4 192.0.2.1", "m=audio 10000 RTP/AVP"} {
		if !strings.Contains(string(b1), want) {
			t.Errorf("offer lacks %q:\n%s", want, b1)
		}
	}
	b2, _ := s.Offer(SendOnly)
	d2 := mustParse(t, b2)
	if d2.Origin.SessionID != d1.Origin.SessionID || d2.Origin.SessionVersion != d1.Origin.SessionVersion+1 {
		t.Errorf("re-offer o= = %d/%d, want %d/%d", d2.Origin.SessionID, d2.Origin.SessionVersion,
			d1.Origin.SessionID, d1.Origin.SessionVersion+1)
	}
	if _, ok := d2.MediaDescriptions[0].Attribute("sendonly"); !ok {
		t.Errorf("hold re-offer lacks a=sendonly:\n%s", b2)
	}
	v6 := NewSDP(cfg, netip.MustParseAddrPort("[2001:db8::5]:10002"))
	b3, _ := v6.Offer(SendRecv)
	if !strings.Contains(string(b3), "c=IN IP6 2001:db8::5") {
		t.Errorf("IPv6 offer c= wrong:\n%s", b3)
	}
}

func TestAnswer(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		file     string
		local    Direction
		prefs    []string
		err      error
		codec    Codec
		ev       int
		remote   string
		ptime    time.Duration
		dir      Direction
		mlines   []string // expected answer m= lines (port for accepted is 10000)
		contains []string
	}{
		{file: "baresip-offer.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "127.0.0.1:10060", ptime: 20 * ms, dir: SendRecv,
			mlines: []string{"audio 10000 RTP/AVP 0 101"}, contains: []string{"a=sendrecv", "a=fmtp:101 0-16"}},
		{file: "asterisk-offer.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "192.0.2.10:15022", ptime: 30 * ms, dir: SendRecv, mlines: []string{"audio 10000 RTP/AVP 0 101"}},
		{file: "asterisk-offer.sdp", local: SendRecv, prefs: []string{"PCMA", "PCMU"}, codec: Codec{"PCMA", 8}, ev: 101,
			remote: "192.0.2.10:15022", ptime: 30 * ms, dir: SendRecv, mlines: []string{"audio 10000 RTP/AVP 8 101"}},
		{file: "kamailio-rtpengine-offer.sdp", local: SendRecv, codec: Codec{"PCMA", 8}, ev: 97,
			remote: "198.51.100.7:30000", ptime: 20 * ms, dir: SendRecv,
			mlines: []string{"audio 10000 RTP/AVP 8 97", "video 0 RTP/AVP 31"}},
		{file: "video-first-offer.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: 96,
			remote: "203.0.113.5:40002", ptime: 20 * ms, dir: SendRecv,
			mlines: []string{"video 0 RTP/AVP 96", "audio 0 RTP/AVP 0", "audio 10000 RTP/AVP 0 96"}},
		{file: "asterisk-hold-sendonly.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "192.0.2.10:15022", ptime: 20 * ms, dir: RecvOnly, contains: []string{"a=recvonly"}},
		{file: "asterisk-hold-sendonly.sdp", local: SendOnly, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "192.0.2.10:15022", ptime: 20 * ms, dir: Inactive, contains: []string{"a=inactive"}},
		{file: "asterisk-offer.sdp", local: SendOnly, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "192.0.2.10:15022", ptime: 30 * ms, dir: SendOnly, contains: []string{"a=sendonly"}},
		{file: "rfc2543-hold.sdp", local: SendRecv, codec: Codec{"PCMA", 8}, ev: -1,
			remote: "0.0.0.0:5004", ptime: 20 * ms, dir: RecvOnly, mlines: []string{"audio 10000 RTP/AVP 8"}},
		{file: "session-inactive.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: -1,
			remote: "192.0.2.20:6000", ptime: 20 * ms, dir: Inactive, contains: []string{"a=inactive"}},
		{file: "ipv6-recvonly.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: -1,
			remote: "[2001:db8::1]:6000", ptime: 10 * ms, dir: SendOnly, contains: []string{"a=sendonly"}},
		{file: "crlf-static-pt.sdp", local: SendRecv, codec: Codec{"PCMU", 0}, ev: 101,
			remote: "192.0.2.30:7078", ptime: 20 * ms, dir: SendRecv},
		{file: "opus-only.sdp", err: ErrNoCommonCodec},
		{file: "srtp-only.sdp", err: ErrNoCommonCodec},
		{file: "answer-rejected.sdp", err: ErrNoCommonCodec},
		{file: "baresip-offer.sdp", prefs: []string{"PCMA"}, local: SendRecv, codec: Codec{"PCMA", 8}, ev: 101,
			remote: "127.0.0.1:10060", ptime: 20 * ms, dir: SendRecv},
		{file: "no-connection.sdp", err: ErrBadSDP},
		{file: "fqdn-connection.sdp", err: ErrBadSDP},
		{file: "garbage.sdp", err: ErrBadSDP},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.prefs != nil {
				cfg.Codecs = tc.prefs
			}
			s := NewSDP(cfg, localAP)
			ans, neg, err := s.Answer(readSDP(t, tc.file), tc.local)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Negotiated{Remote: netip.MustParseAddrPort(tc.remote), Codec: tc.codec, EventPT: tc.ev,
				RecvEventPT: tc.ev, PTime: tc.ptime, Direction: tc.dir}
			neg.RemoteRTCP = netip.AddrPort{}
			if neg != want {
				t.Errorf("negotiated\n got %+v\nwant %+v", neg, want)
			}
			d := mustParse(t, ans)
			for i, ml := range tc.mlines {
				if i >= len(d.MediaDescriptions) || d.MediaDescriptions[i].MediaName.String() != ml {
					t.Errorf("answer m= line %d: want %q in\n%s", i, ml, ans)
				}
			}
			if tc.mlines != nil && len(d.MediaDescriptions) != len(tc.mlines) {
				t.Errorf("answer has %d m= lines, want %d", len(d.MediaDescriptions), len(tc.mlines))
			}
			for _, c := range tc.contains {
				if !strings.Contains(string(ans), c) {
					t.Errorf("answer lacks %q:\n%s", c, ans)
				}
			}
		})
	}
}

func TestRemoteRTCP(t *testing.T) {
	s := NewSDP(DefaultConfig(), localAP)
	_, neg, err := s.Answer(readSDP(t, "kamailio-rtpengine-offer.sdp"), SendRecv)
	if err != nil || neg.RemoteRTCP != netip.MustParseAddrPort("198.51.100.7:30011") {
		t.Errorf("a=rtcp: got %v, %v", neg.RemoteRTCP, err)
	}
	_, neg, _ = s.Answer(readSDP(t, "asterisk-offer.sdp"), SendRecv)
	if neg.RemoteRTCP != netip.MustParseAddrPort("192.0.2.10:15023") {
		t.Errorf("default RTCP = %v, want port+1", neg.RemoteRTCP)
	}
}

func TestParseAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		ourDir  Direction
		err     error
		want    Negotiated
		noOffer bool
	}{
		{name: "pcma-recvonly", file: "answer-pcma-dtmf.sdp", ourDir: SendRecv, want: Negotiated{
			Remote: netip.MustParseAddrPort("192.0.2.40:20000"), Codec: Codec{"PCMA", 8}, EventPT: 96,
			RecvEventPT: 101, PTime: 20 * time.Millisecond, Direction: SendOnly}},
		{name: "we-hold", file: "asterisk-offer.sdp", ourDir: SendOnly, want: Negotiated{
			Remote: netip.MustParseAddrPort("192.0.2.10:15022"), Codec: Codec{"PCMA", 8}, EventPT: 101,
			RecvEventPT: 101, PTime: 30 * time.Millisecond, Direction: SendOnly}},
		{name: "baresip-real", file: "baresip-1.0-real-answer.sdp", ourDir: SendRecv, want: Negotiated{
			Remote: netip.MustParseAddrPort("127.0.0.1:46860"), Codec: Codec{"PCMU", 0}, EventPT: 101,
			RecvEventPT: 101, PTime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "rejected", file: "answer-rejected.sdp", ourDir: SendRecv, err: ErrNoCommonCodec},
		{name: "video-first", file: "video-first-offer.sdp", ourDir: SendRecv, err: ErrBadSDP},
		{name: "opus", file: "opus-only.sdp", ourDir: SendRecv, err: ErrNoCommonCodec},
		{name: "garbage", file: "garbage.sdp", ourDir: SendRecv, err: ErrBadSDP},
		{name: "no-offer", file: "answer-pcma-dtmf.sdp", noOffer: true, err: ErrBadSDP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSDP(DefaultConfig(), localAP)
			if !tc.noOffer {
				if _, err := s.Offer(tc.ourDir); err != nil {
					t.Fatal(err)
				}
			}
			neg, err := s.ParseAnswer(readSDP(t, tc.file))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			neg.RemoteRTCP = netip.AddrPort{}
			if neg != tc.want {
				t.Errorf("negotiated\n got %+v\nwant %+v", neg, tc.want)
			}
		})
	}
}

// TestOfferAnswerRoundTrip runs our offer through our own answerer.
func TestOfferAnswerRoundTrip(t *testing.T) {
	a := NewSDP(DefaultConfig(), netip.MustParseAddrPort("127.0.0.1:10000"))
	bcfg := DefaultConfig()
	bcfg.Codecs = []string{"PCMA", "PCMU"}
	b := NewSDP(bcfg, netip.MustParseAddrPort("127.0.0.1:10002"))
	offer, _ := a.Offer(SendRecv)
	ans, nb, err := b.Answer(offer, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	na, err := a.ParseAnswer(ans)
	if err != nil {
		t.Fatal(err)
	}
	if na.Codec != nb.Codec || na.Codec.Name != "PCMA" || na.EventPT != 101 || nb.EventPT != 101 ||
		na.Remote.Port() != 10002 || nb.Remote.Port() != 10000 || na.Direction != SendRecv || nb.Direction != SendRecv {
		t.Errorf("round trip: offerer %+v, answerer %+v", na, nb)
	}
}

func TestDirection(t *testing.T) {
	for d, want := range map[Direction]string{SendRecv: "sendrecv", SendOnly: "sendonly", RecvOnly: "recvonly", Inactive: "inactive"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q", d, d.String())
		}
	}
	if SendOnly.reverse() != RecvOnly || RecvOnly.reverse() != SendOnly || SendRecv.reverse() != SendRecv {
		t.Error("reverse wrong")
	}
	if !SendOnly.Sends() || SendOnly.Receives() || !RecvOnly.Receives() {
		t.Error("Sends/Receives wrong")
	}
}
