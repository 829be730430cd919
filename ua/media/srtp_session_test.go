package media

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/g711"
)

// srtpPair returns the transforms of two ends of one call (a's sending
// key is b's receiving key) and a third copy of b's, for a tap that reads
// what a sends.
func srtpPair(t *testing.T, suite string) (a, b, tap *SRTP) {
	t.Helper()
	ka, err := NewCrypto(1, suite)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := NewCrypto(1, suite)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(l, r Crypto) *SRTP {
		s, err := NewSRTP(l, r)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mk(ka, kb), mk(kb, ka), mk(kb, ka)
}

// TestSessionSRTP runs a call's media through the session's SRTP seam:
// a sends through a tap (the test) to b. The tap sees no G.711 of the
// tone on the wire, b plays the tone and gets the RFC 4733 digit, and
// forged, tampered or plain packets are counted as rejected. a's RTCP
// report and its BYE leave as SRTCP. Fails with the hooks taken out.
func TestSessionSRTP(t *testing.T) {
	t.Parallel()
	for _, suite := range []string{SuiteAESCM128SHA1_80, SuiteAESCM128SHA1_32, SuiteAEADAES128GCM} {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			trA, trB, tapTr := srtpPair(t, suite)
			clock := newManualClock()
			a, b := listen(t, testConfig(), Options{Clock: clock}), listen(t, testConfig(), Options{})
			tap, tapRTCP := newRawPeer(t), newRawPeer(t)
			na, nb := pcmuNeg(tap.addr), pcmuNeg(a.LocalAddr())
			na.RemoteRTCP, na.SRTP, nb.SRTP = tapRTCP.addr, trA, trB
			if err := a.Start(context.Background(), na); err != nil {
				t.Fatal(err)
			}
			if err := b.Start(context.Background(), nb); err != nil {
				t.Fatal(err)
			}
			frame := tone(1000, 8000, 0, frameLen)
			clear := make([]byte, frameLen)
			g711.Ulaw.Encode(clear, frame)
			var h rtp.Header
			plain := make([]byte, 1500)
			for i := 0; i < 5; i++ {
				if err := a.WriteFrame(frame); err != nil {
					t.Fatal(err)
				}
				wire := tap.read(t)
				if bytes.Contains(wire, clear[:32]) {
					t.Fatalf("packet %d carries the tone's G.711 bytes in clear", i)
				}
				pkt, err := tapTr.Unprotect(plain, wire)
				if err != nil {
					t.Fatalf("packet %d does not decrypt with the call's key: %v", i, err)
				}
				if p, ok := rtpPayload(pkt, &h); !ok || !bytes.Equal(p, clear) {
					t.Fatalf("packet %d decrypts to %x, want the tone", i, p)
				}
				tap.send(t, b.LocalAddr(), wire)
				waitFor(t, "b accepts the SRTP packet", func() bool { return b.Stats().Received == uint64(i+1) })
			}

			// A digit: RFC 4733 inside SRTP.
			if err := a.SendDTMF("5"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				a.WriteFrame(frame)
				tap.send(t, b.LocalAddr(), tap.read(t))
			}
			select {
			case e := <-b.Events():
				if e.Kind != EventDTMF || e.Digit != '5' {
					t.Fatalf("event %+v, want digit 5", e)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no digit from the SRTP telephone-event")
			}

			// Plain RTP, a forged tag and a replay are all dropped.
			rejected := b.Stats().Rejected
			a.WriteFrame(frame)
			wire := tap.read(t)
			tap.send(t, b.LocalAddr(), rtpPacket(t, 0, 1, 1, 77, false, clear))
			forged := bytes.Clone(wire)
			forged[len(forged)-1] ^= 1
			tap.send(t, b.LocalAddr(), forged)
			tap.send(t, b.LocalAddr(), wire)
			tap.send(t, b.LocalAddr(), wire) // replayed
			waitFor(t, "three packets rejected", func() bool { return b.Stats().Rejected == rejected+3 })

			// RTCP: the periodic report and the BYE are SRTCP.
			clock.Advance(8 * time.Second)
			checkSRTCP(t, tapRTCP.read(t), tapTr, clear, func(p rtcp.Packet) bool {
				_, ok := p.(*rtcp.SenderReport)
				return ok
			})
			a.Close()
			checkSRTCP(t, tapRTCP.read(t), tapTr, clear, func(p rtcp.Packet) bool {
				_, ok := p.(*rtcp.Goodbye)
				return ok
			})
		})
	}
}

// checkSRTCP decrypts an SRTCP packet from the wire and checks that one
// of its packets is what want looks for.
func checkSRTCP(t *testing.T, wire []byte, tr *SRTP, clear []byte, want func(rtcp.Packet) bool) {
	t.Helper()
	pkt, err := tr.UnprotectRTCP(make([]byte, 1500), wire)
	if err != nil {
		t.Fatalf("RTCP on the wire is not SRTCP of the call: %v (% x)", err, wire)
	}
	pkts, err := rtcp.Unmarshal(pkt)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if want(p) {
			return
		}
	}
	t.Fatalf("SRTCP holds %v", pkts)
}

// TestSessionSRTCPReceived: an SRTCP receiver report from the peer is
// decrypted and read (its loss figure shows in Stats), an RTCP packet in
// clear is rejected.
func TestSessionSRTCPReceived(t *testing.T) {
	t.Parallel()
	trA, trB, _ := srtpPair(t, SuiteAESCM128SHA1_80)
	s := listen(t, testConfig(), Options{})
	peer := newRawPeer(t)
	neg := pcmuNeg(peer.addr)
	neg.SRTP = trA
	s.Start(context.Background(), neg)
	rr, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 9,
		Reports: []rtcp.ReceptionReport{{SSRC: s.tx.ssrc, TotalLost: 7}}}})
	if err != nil {
		t.Fatal(err)
	}
	rtcpAddr := netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1)
	peer.send(t, rtcpAddr, rr)
	waitFor(t, "clear RTCP rejected", func() bool { return s.Stats().Rejected == 1 })
	enc, err := trB.ProtectRTCP(nil, rr)
	if err != nil {
		t.Fatal(err)
	}
	peer.send(t, rtcpAddr, enc)
	waitFor(t, "SRTCP report read", func() bool { return s.Stats().RemoteLost == 7 })
}

// BenchmarkSessionSendFrame is the cost of one 20 ms frame through the
// session's send path (G.711, RTP, SRTP when on, the UDP send), plain
// beside encrypted: a call-second is 50 of them each way. It must not
// allocate.
func BenchmarkSessionSendFrame(b *testing.B) {
	for _, suite := range []string{"plain", SuiteAESCM128SHA1_80, SuiteAEADAES128GCM} {
		b.Run(suite, func(b *testing.B) {
			peer := newRawPeer(b)
			s := listen(b, testConfig(), Options{})
			neg := pcmuNeg(peer.addr)
			if suite != "plain" {
				k1, _ := NewCrypto(1, suite)
				k2, _ := NewCrypto(1, suite)
				neg.SRTP, _ = NewSRTP(k1, k2)
			}
			if err := s.Start(context.Background(), neg); err != nil {
				b.Fatal(err)
			}
			frame := tone(1000, 8000, 0, frameLen)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := s.WriteFrame(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
