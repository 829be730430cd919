package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/dtls/v4"
)

// mitmDTLS is a DTLS server on a loopback UDP port with a certificate of
// its own: the media end of a caller whose SDP fingerprint names another
// certificate (a man in the middle swapping the media).
func mitmDTLS(t *testing.T) int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "mitm"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := dtls.Listen(pc, dtls.WithCertificates(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AES128_CM_HMAC_SHA1_80), dtls.WithInsecureSkipVerify(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*dtls.Conn).HandshakeContext(context.Background())
			}()
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestDTLSSRTPWrongFingerprint: a caller over TLS offers DTLS-SRTP whose
// SDP fingerprint is not the certificate its media end shows. The door
// (srtp: dtls) answers, connects as DTLS client, finds the certificate
// does not match, says so in its log and ends the call: no audio flows
// to whoever sits on the media path.
func TestDTLSSRTPWrongFingerprint(t *testing.T) {
	t.Parallel()
	media := mitmDTLS(t)
	p := startDoor(t, `sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  srtp: dtls
  callers:
    - user: caller
      networks: [127.0.0.1]
board:
  profile: sim
device:
  auto_answer: true
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tlsAddr := fmt.Sprint(p.awaitLog(ctx, t, "sip listening tls", nil)["tls"])

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("mitm-test"),
		sipgo.WithUserAgenTLSConfig(&tls.Config{InsecureSkipVerify: true})) // the door's own certificate
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	tlsParam := sip.NewParams()
	tlsParam.Add("transport", "tls")
	dua := &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: 5, UriParams: tlsParam}}}
	target := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", UriParams: tlsParam}
	req := sip.NewRequest(sip.INVITE, target)
	fh := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1"}, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	wrong := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	req.SetBody([]byte(fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"a=setup:actpass\r\na=fingerprint:sha-256 %s\r\n"+
		"m=audio %d UDP/TLS/RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=rtcp:%d\r\na=sendrecv\r\n", wrong, media, media)))
	req.SetTransport("TLS")
	req.SetDestination(tlsAddr)
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	defer dlg.Close()
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("the door did not answer: %v", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	if !strings.Contains(string(dlg.InviteResponse.Body()), "a=setup:active") {
		t.Errorf("the door's answer is not the DTLS client:\n%s", dlg.InviteResponse.Body())
	}
	p.awaitLog(ctx, t, "DTLS-SRTP failed, ending the call: the peer's certificate does not match its SDP fingerprint", nil)
	p.awaitLog(ctx, t, "call ended", nil)
}
