package media

import (
	"errors"
	"strings"
	"testing"
)

// peerOffer is an offer from a peer listing the given m= formats and
// rtpmap lines (RTP clock 8000 for G.722 as RFC 3551 has it).
func peerOffer(formats string, rtpmaps ...string) []byte {
	var b strings.Builder
	b.WriteString("v=0\r\no=peer 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n")
	b.WriteString("m=audio 4000 RTP/AVP " + formats + "\r\n")
	for _, r := range rtpmaps {
		b.WriteString("a=rtpmap:" + r + "\r\n")
	}
	b.WriteString("a=sendrecv\r\n")
	return []byte(b.String())
}

func TestG722Offer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Codecs = []string{"g722", "PCMU", "PCMA"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("G722 first does not validate: %v", err)
	}
	b, err := NewSDP(cfg, localAP).Offer(SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, b).MediaDescriptions[0]
	if got := strings.Join(m.MediaName.Formats, " "); got != "9 0 8 101" {
		t.Errorf("formats = %q, want G.722 first: 9 0 8 101", got)
	}
	if !strings.Contains(string(b), "a=rtpmap:9 G722/8000\r\n") {
		t.Errorf("offer lacks a=rtpmap:9 G722/8000 (RTP clock 8000, RFC 3551):\n%s", b)
	}
}

func TestG722Negotiation(t *testing.T) {
	g722, pcmu, pcma := Codec{Name: G722, PT: 9}, Codec{Name: PCMU, PT: 0}, Codec{Name: PCMA, PT: 8}
	for _, tc := range []struct {
		name  string
		prefs []string
		offer []byte
		want  Codec
		err   error
	}{
		{"G722 offered and preferred", []string{"G722", "PCMU"}, peerOffer("0 9 101", "0 PCMU/8000", "9 G722/8000", "101 telephone-event/8000"), g722, nil},
		{"static 9 without rtpmap", []string{"G722", "PCMU"}, peerOffer("9 0"), g722, nil},
		{"G711 fallback: peer has no G722", []string{"G722", "PCMU", "PCMA"}, peerOffer("8 101", "8 PCMA/8000", "101 telephone-event/8000"), pcma, nil},
		{"G722 not configured", []string{"PCMU"}, peerOffer("9 0"), pcmu, nil},
		{"G722 at a wrong clock is not G722", []string{"G722"}, peerOffer("9", "9 G722/16000"), Codec{}, ErrNoCommonCodec},
		{"only G722 on both sides", []string{"G722"}, peerOffer("9", "9 G722/8000/1"), g722, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Codecs = tc.prefs
			ans, neg, err := NewSDP(cfg, localAP).Answer(tc.offer, SendRecv)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Answer err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if neg.Codec != tc.want {
				t.Errorf("codec = %+v, want %+v", neg.Codec, tc.want)
			}
			m := mustParse(t, ans).MediaDescriptions[0]
			if m.MediaName.Formats[0] != "9" && tc.want == g722 {
				t.Errorf("answer formats %v, want 9 first", m.MediaName.Formats)
			}
			if tc.want == g722 && !strings.Contains(string(ans), "a=rtpmap:9 G722/8000") {
				t.Errorf("answer lacks a=rtpmap:9 G722/8000:\n%s", ans)
			}
		})
	}
}

func TestG722ParseAnswer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Codecs = []string{"G722", "PCMU"}
	for _, tc := range []struct {
		name   string
		answer []byte
		want   Codec
	}{
		{"peer takes G722", peerOffer("9 101", "9 G722/8000", "101 telephone-event/8000"), Codec{Name: G722, PT: 9}},
		{"peer falls back to PCMU", peerOffer("0 101", "0 PCMU/8000", "101 telephone-event/8000"), Codec{Name: PCMU, PT: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSDP(cfg, localAP)
			if _, err := s.Offer(SendRecv); err != nil {
				t.Fatal(err)
			}
			neg, err := s.ParseAnswer(tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if neg.Codec != tc.want {
				t.Errorf("codec = %+v, want %+v", neg.Codec, tc.want)
			}
		})
	}
}

func TestCodecRates(t *testing.T) {
	for _, tc := range []struct {
		c             Codec
		rate, samples int
	}{{Codec{Name: G722, PT: 9}, 16000, 320}, {Codec{Name: PCMU}, 8000, 160}, {Codec{Name: PCMA, PT: 8}, 8000, 160}} {
		if tc.c.Rate() != tc.rate || tc.c.FrameSamples() != tc.samples {
			t.Errorf("%s: rate %d, frame %d; want %d, %d", tc.c.Name, tc.c.Rate(), tc.c.FrameSamples(), tc.rate, tc.samples)
		}
	}
	cfg := DefaultConfig()
	cfg.Codecs = []string{"G722", "G729"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "supported: G722, PCMU, PCMA") {
		t.Errorf("Validate(G729) = %v, want the supported list", err)
	}
}
