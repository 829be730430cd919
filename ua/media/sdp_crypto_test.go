package media

import (
	"errors"
	"strings"
	"testing"
)

// sdesSDP returns a call's SDP state with an SRTP policy.
func sdesSDP(t *testing.T, policy SRTPPolicy, secure bool) *SDP {
	t.Helper()
	s := NewSDP(DefaultConfig(), localAP)
	if err := s.SetSRTP(policy, secure); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSDESOffer: what each policy puts in the offer; keys only when the
// signalling is TLS, fresh per call.
func TestSDESOffer(t *testing.T) {
	for _, tc := range []struct {
		policy SRTPPolicy
		secure bool
		proto  string
		keys   int
	}{
		{SRTPOff, true, "RTP/AVP", 0},
		{"", true, "RTP/AVP", 0},
		{SRTPOptional, true, "RTP/AVP", 3},
		{SRTPOptional, false, "RTP/AVP", 0},
		{SRTPMandatory, true, "RTP/SAVP", 3},
	} {
		t.Run(string(tc.policy)+map[bool]string{true: "/tls", false: "/plain"}[tc.secure], func(t *testing.T) {
			b, err := sdesSDP(t, tc.policy, tc.secure).Offer(SendRecv)
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, b).MediaDescriptions[0]
			if p := strings.Join(m.MediaName.Protos, "/"); p != tc.proto {
				t.Errorf("proto %s, want %s", p, tc.proto)
			}
			var got []string
			for _, a := range m.Attributes {
				if a.Key == "crypto" {
					k, err := ParseCrypto(a.Value)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, k.Suite)
				}
			}
			if len(got) != tc.keys || HasCryptoKeys(b) != (tc.keys > 0) {
				t.Fatalf("a=crypto suites %v, want %d", got, tc.keys)
			}
			if tc.keys > 0 && (got[0] != SuiteAESCM128SHA1_80 || got[2] != SuiteAESCM128SHA1_32) {
				t.Errorf("suites in order %v", got)
			}
			if tc.keys > 0 {
				b2, _ := sdesSDP(t, tc.policy, tc.secure).Offer(SendRecv)
				if cryptoLines(b)[0] == cryptoLines(b2)[0] {
					t.Error("two calls offered the same key")
				}
			}
		})
	}
	if err := NewSDP(DefaultConfig(), localAP).SetSRTP(SRTPMandatory, false); !errors.Is(err, ErrSRTPRequired) {
		t.Errorf("mandatory without TLS: %v, want ErrSRTPRequired", err)
	}
	if err := NewSDP(DefaultConfig(), localAP).SetSRTP("sometimes", true); err == nil {
		t.Error("unknown policy accepted")
	}
}

func cryptoLines(b []byte) []string {
	var l []string
	for _, line := range strings.Split(string(b), "\r\n") {
		if strings.HasPrefix(line, "a=crypto:") {
			l = append(l, line)
		}
	}
	return l
}

const (
	key80 = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
	key32 = "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"
	gcm   = "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==" // 16+12 bytes
)

// offerSDP is a peer's offer with proto and a=crypto values.
func offerSDP(proto string, crypto ...string) []byte {
	s := "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 " + proto + " 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
	for _, c := range crypto {
		s += "a=crypto:" + c + "\r\n"
	}
	return []byte(s)
}

// TestSDESAnswer: how each policy answers plain, best-effort and SAVP
// offers, over TLS and not; the first supported suite is taken.
func TestSDESAnswer(t *testing.T) {
	savp80 := offerSDP("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 "+key80)
	avp80 := offerSDP("RTP/AVP", "1 AES_CM_128_HMAC_SHA1_80 "+key80)
	plain := offerSDP("RTP/AVP")
	mixed := offerSDP("RTP/SAVP", "1 F8_128_HMAC_SHA1_80 "+key80, "2 AES_CM_128_HMAC_SHA1_32 "+key32, "3 AES_CM_128_HMAC_SHA1_80 "+key80)
	unsupported := offerSDP("RTP/SAVP", "1 AES_256_CM_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw")
	for _, tc := range []struct {
		name   string
		policy SRTPPolicy
		secure bool
		offer  []byte
		suite  string // "" plain
		tag    string
		err    error
	}{
		{"off/savp", SRTPOff, true, savp80, "", "", ErrSRTPRefused},
		{"off/avp+crypto", SRTPOff, true, avp80, "", "", nil},
		{"off/plain", SRTPOff, true, plain, "", "", nil},
		{"optional/savp", SRTPOptional, true, savp80, SuiteAESCM128SHA1_80, "1", nil},
		{"optional/avp+crypto", SRTPOptional, true, avp80, SuiteAESCM128SHA1_80, "1", nil},
		{"optional/plain", SRTPOptional, true, plain, "", "", nil},
		{"optional/savp over udp", SRTPOptional, false, savp80, "", "", ErrSRTPRefused},
		{"optional/avp+crypto over udp", SRTPOptional, false, avp80, "", "", nil},
		{"optional/unsupported", SRTPOptional, true, unsupported, "", "", ErrSRTPRefused},
		{"mandatory/savp", SRTPMandatory, true, savp80, SuiteAESCM128SHA1_80, "1", nil},
		{"mandatory/avp+crypto", SRTPMandatory, true, avp80, SuiteAESCM128SHA1_80, "1", nil},
		{"mandatory/plain", SRTPMandatory, true, plain, "", "", ErrSRTPRequired},
		{"mandatory/first supported", SRTPMandatory, true, mixed, SuiteAESCM128SHA1_32, "2", nil},
		{"mandatory/unsupported", SRTPMandatory, true, unsupported, "", "", ErrSRTPRefused},
		{"mandatory/gcm", SRTPMandatory, true, offerSDP("RTP/SAVP", "7 AEAD_AES_128_GCM "+gcm), SuiteAEADAES128GCM, "7", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sdesSDP(t, tc.policy, tc.secure)
			ans, neg, err := s.Answer(tc.offer, SendRecv)
			if !errors.Is(err, tc.err) {
				t.Fatalf("answer: %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if neg.SRTP.Suite() != tc.suite {
				t.Fatalf("negotiated suite %q, want %q", neg.SRTP.Suite(), tc.suite)
			}
			lines := cryptoLines(ans)
			m := mustParse(t, ans).MediaDescriptions[0]
			offered := mustParse(t, tc.offer).MediaDescriptions[0]
			if tc.suite == "" {
				if len(lines) != 0 || strings.Join(m.MediaName.Protos, "/") != "RTP/AVP" {
					t.Fatalf("plain answer has %v %v", m.MediaName.Protos, lines)
				}
				return
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "a=crypto:"+tc.tag+" "+tc.suite+" inline:") {
				t.Fatalf("answer crypto %v, want tag %s suite %s", lines, tc.tag, tc.suite)
			}
			if strings.Join(m.MediaName.Protos, "/") != strings.Join(offered.MediaName.Protos, "/") {
				t.Errorf("answer proto %v, offered %v", m.MediaName.Protos, offered.MediaName.Protos)
			}
			// A re-offer with the same keys keeps the transform (and its
			// replay state).
			if _, neg2, err := s.Answer(tc.offer, SendRecv); err != nil || neg2.SRTP != neg.SRTP {
				t.Errorf("re-INVITE: transform %p, was %p (%v)", neg2.SRTP, neg.SRTP, err)
			}
		})
	}
}

// TestSDESOfferAnswerRoundTrip: two sipbells, one offering and one
// answering, end up with transforms that talk to each other; a plain
// answer to a mandatory offer is refused.
func TestSDESOfferAnswerRoundTrip(t *testing.T) {
	for _, policy := range []SRTPPolicy{SRTPOptional, SRTPMandatory} {
		a, b := sdesSDP(t, policy, true), sdesSDP(t, SRTPMandatory, true)
		offer, err := a.Offer(SendRecv)
		if err != nil {
			t.Fatal(err)
		}
		ans, nb, err := b.Answer(offer, SendRecv)
		if err != nil {
			t.Fatal(err)
		}
		na, err := a.ParseAnswer(ans)
		if err != nil {
			t.Fatal(err)
		}
		if na.SRTP.Suite() != SuiteAESCM128SHA1_80 || nb.SRTP.Suite() != SuiteAESCM128SHA1_80 {
			t.Fatalf("%s: suites %q %q", policy, na.SRTP.Suite(), nb.SRTP.Suite())
		}
		pkt := rtpPacket(t, 0, 1, 160, 5, false, make([]byte, 160))
		enc, err := na.SRTP.Protect(make([]byte, 0, 200), pkt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nb.SRTP.Unprotect(make([]byte, 200), enc); err != nil {
			t.Fatalf("%s: b cannot read a's SRTP: %v", policy, err)
		}
	}
	a := sdesSDP(t, SRTPMandatory, true)
	offer, _ := a.Offer(SendRecv)
	plainAns, _, err := sdesSDP(t, SRTPOff, true).Answer([]byte(strings.Replace(string(offer), "RTP/SAVP", "RTP/AVP", 1)), SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ParseAnswer(plainAns); !errors.Is(err, ErrSRTPRequired) {
		t.Errorf("plain answer to a mandatory offer: %v, want ErrSRTPRequired", err)
	}
	o := sdesSDP(t, SRTPOptional, true)
	offer, _ = o.Offer(SendRecv)
	plainAns, _, _ = sdesSDP(t, SRTPOff, true).Answer(offer, SendRecv)
	if neg, err := o.ParseAnswer(plainAns); err != nil || neg.SRTP != nil {
		t.Errorf("plain answer to a best-effort offer: %v %v, want a plain call", neg.SRTP, err)
	}
}
