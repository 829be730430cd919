package media

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// dtlsSDP returns a fresh SDP state at s's address with policy over TLS.
func dtlsSDP(t *testing.T, s *Session, policy SRTPPolicy) *SDP {
	t.Helper()
	sd := NewSDP(testConfig(), s.LocalAddr())
	if err := sd.SetSRTP(policy, true); err != nil {
		t.Fatal(err)
	}
	return sd
}

// baresipDTLSOffer is baresip 1.0's dtls_srtp offer (shape from
// /work/shared/peers/wave2.md): SAVPF, setup and fingerprint at session
// level.
const baresipDTLSOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"a=setup:actpass\r\na=fingerprint:SHA-256 " +
	"C3:7C:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\r\n" +
	"m=audio 40524 UDP/TLS/RTP/SAVPF 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
	"a=rtcp-rsize\r\na=sendrecv\r\n"

// TestDTLSSDP: the offer and answer lines of DTLS-SRTP under each policy.
func TestDTLSSDP(t *testing.T) {
	t.Parallel()
	s := listen(t, testConfig(), Options{})
	offer, err := dtlsSDP(t, s, SRTPDTLS).Offer(SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{" UDP/TLS/RTP/SAVP 0 8 101", "a=fingerprint:sha-256 ", "a=setup:actpass"} {
		if !strings.Contains(string(offer), want) {
			t.Errorf("offer lacks %q:\n%s", want, offer)
		}
	}
	if HasCryptoKeys(offer) {
		t.Errorf("DTLS offer carries SDES keys:\n%s", offer)
	}
	tests := []struct {
		name    string
		policy  SRTPPolicy
		secure  bool
		offer   string
		wantErr error
		want    []string
	}{
		{"baresip to mandatory", SRTPMandatory, true, baresipDTLSOffer, nil,
			[]string{"UDP/TLS/RTP/SAVPF 0 101", "a=setup:active", "a=fingerprint:sha-256 "}},
		{"baresip to optional", SRTPOptional, true, baresipDTLSOffer, nil, []string{"a=setup:active"}},
		{"ours to dtls", SRTPDTLS, true, string(offer), nil, []string{"a=setup:active"}},
		{"active offer", SRTPDTLS, true, strings.Replace(baresipDTLSOffer, "setup:actpass", "setup:active", 1), nil,
			[]string{"a=setup:passive"}},
		{"off", SRTPOff, true, baresipDTLSOffer, ErrSRTPRefused, nil},
		{"not over TLS", SRTPOptional, false, baresipDTLSOffer, ErrSRTPRefused, nil},
		{"no fingerprint", SRTPDTLS, true, strings.Replace(baresipDTLSOffer, "a=fingerprint:SHA-256", "a=fingerprint:sha-1", 1),
			ErrSRTPRefused, nil},
		{"plain to dtls", SRTPDTLS, true, strings.Replace(baresipDTLSOffer, "UDP/TLS/RTP/SAVPF", "RTP/AVP", 1),
			ErrSRTPRequired, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := NewSDP(testConfig(), s.LocalAddr())
			if err := sd.SetSRTP(tt.policy, tt.secure); err != nil {
				t.Fatal(err)
			}
			ans, neg, err := sd.Answer([]byte(tt.offer), SendRecv)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("answer error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if neg.SRTP == nil || neg.SRTP.dtls == nil {
				t.Fatalf("negotiated %+v, want a DTLS descriptor", neg.SRTP)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(ans), w) {
					t.Errorf("answer lacks %q:\n%s", w, ans)
				}
			}
		})
	}
}

// TestDTLSSDPReinvite: a re-offer keeps the association (same descriptor,
// same role); a plain answer to a DTLS offer is refused.
func TestDTLSSDPReinvite(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
	sa, sb := dtlsSDP(t, a, SRTPDTLS), dtlsSDP(t, b, SRTPMandatory)
	var first *SRTP
	for i := 0; i < 2; i++ {
		offer, err := sa.Offer(SendRecv)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && !bytes.Contains(offer, []byte("a=setup:passive")) {
			t.Errorf("re-offer does not keep our server role:\n%s", offer)
		}
		ans, nb, err := sb.Answer(offer, SendRecv)
		if err != nil {
			t.Fatal(err)
		}
		na, err := sa.ParseAnswer(ans)
		if err != nil {
			t.Fatal(err)
		}
		if na.SRTP.dtls.client || !nb.SRTP.dtls.client {
			t.Fatalf("roles: offerer client %v, answerer client %v; want server and client", na.SRTP.dtls.client, nb.SRTP.dtls.client)
		}
		if i == 0 {
			first = na.SRTP
		} else if na.SRTP != first {
			t.Error("re-INVITE made a new DTLS association")
		}
	}
	plain := strings.Replace(baresipDTLSOffer, "UDP/TLS/RTP/SAVPF", "RTP/AVP", 1)
	if _, err := sa.ParseAnswer([]byte(plain)); !errors.Is(err, ErrSRTPRequired) {
		t.Errorf("plain answer: %v, want ErrSRTPRequired", err)
	}
}

// logLines is a slog handler that keeps the messages.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

// dtlsCall negotiates a DTLS-SRTP call between a (offerer, policy dtls)
// and b, with tamper applied to the offer b sees, and starts both.
func dtlsCall(t *testing.T, a, b *Session, tamper func(string) string) {
	t.Helper()
	sa, sb := dtlsSDP(t, a, SRTPDTLS), dtlsSDP(t, b, SRTPMandatory)
	offer, err := sa.Offer(SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	ans, nb, err := sb.Answer([]byte(tamper(string(offer))), SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	na, err := sa.ParseAnswer(ans)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background(), na); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background(), nb); err != nil {
		t.Fatal(err)
	}
}

// TestSessionDTLSSRTP: two sessions agree keys over DTLS on their RTP and
// RTCP sockets; the tone and a digit cross encrypted.
func TestSessionDTLSSRTP(t *testing.T) {
	t.Parallel()
	var la, lb logLines
	a, b := listen(t, testConfig(), Options{Logger: la.logger()}), listen(t, testConfig(), Options{Logger: lb.logger()})
	dtlsCall(t, a, b, func(s string) string { return s })
	waitFor(t, "both ends keyed", func() bool { return a.srtp.Load() != nil && b.srtp.Load() != nil })
	waitFor(t, "RTCP keyed", func() bool { return a.dtls.srtcp.Load() != nil && b.dtls.srtcp.Load() != nil })
	for _, l := range []*logLines{&la, &lb} {
		if !l.has("media encrypted (SRTP)") || !l.has("keys=DTLS") {
			t.Errorf("log lacks the DTLS-SRTP line:\n%s", l.buf.String())
		}
	}
	if got := a.neg.SRTP.Suite(); got != SuiteAESCM128SHA1_80+" via DTLS" {
		t.Errorf("suite %q", got)
	}
	frame := tone(1000, 8000, 0, frameLen)
	if err := a.SendDTMF("7"); err != nil {
		t.Fatal(err)
	}
	got := false
	for i := 0; i < 200 && !got; i++ {
		if err := a.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-b.Events():
			got = e.Kind == EventDTMF && e.Digit == '7'
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !got || b.Stats().Received == 0 {
		t.Fatalf("digit over DTLS-SRTP %v, b received %d", got, b.Stats().Received)
	}
}

// TestSessionDTLSWrongFingerprint: a fingerprint that is not the peer's
// ends the call (EventSecurity, a clear log line) on the end that checks
// it, and no RTP leaves in clear meanwhile.
func TestSessionDTLSWrongFingerprint(t *testing.T) {
	t.Parallel()
	var lb logLines
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{Logger: lb.logger()})
	dtlsCall(t, a, b, func(s string) string {
		i := strings.Index(s, "a=fingerprint:sha-256 ") + len("a=fingerprint:sha-256 ")
		return s[:i] + "00" + s[i+2:]
	})
	frame := tone(1000, 8000, 0, frameLen)
	for {
		if err := b.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-b.Events():
			if e.Kind != EventSecurity {
				t.Fatalf("event %+v, want EventSecurity", e)
			}
			if !lb.has("does not match its SDP fingerprint") {
				t.Errorf("log:\n%s", lb.buf.String())
			}
			if n := a.Stats().Received; n != 0 || a.srtp.Load() != nil {
				t.Errorf("a received %d RTP packets, keyed %v", n, a.srtp.Load() != nil)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestDTLSNothingInClear: before the handshake finishes (here it never
// does: the peer is a plain socket) only DTLS leaves the RTP port.
func TestDTLSNothingInClear(t *testing.T) {
	t.Parallel()
	a := listen(t, testConfig(), Options{})
	peer := newRawPeer(t)
	sa := dtlsSDP(t, a, SRTPMandatory)
	ans, neg, err := sa.Answer([]byte(strings.Replace(baresipDTLSOffer, "40524", strconv.Itoa(int(peer.addr.Port())), 1)), SendRecv)
	if err != nil {
		t.Fatalf("%v\n%s", err, ans)
	}
	if err := a.Start(context.Background(), neg); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := a.WriteFrame(tone(1000, 8000, 0, frameLen)); err != nil {
			t.Fatal(err)
		}
	}
	pkt := peer.read(t) // the ClientHello (we are active)
	if !isDTLS(pkt) {
		t.Fatalf("first packet to the peer %x is not DTLS", pkt[:min(len(pkt), 8)])
	}
	if sent := a.Stats().Sent; sent == 0 {
		t.Fatal("the sender made no packets")
	}
	peer.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 1500)
	for {
		n, err := peer.conn.Read(buf)
		if err != nil {
			return // nothing more (a retransmitted ClientHello at most)
		}
		if !isDTLS(buf[:n]) {
			t.Fatalf("a sent %x in clear before keys", buf[:min(n, 8)])
		}
	}
}
