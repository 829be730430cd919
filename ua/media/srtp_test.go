package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/g711"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestParseCrypto: RFC 4568 attributes sipbell takes and those it
// refuses.
func TestParseCrypto(t *testing.T) {
	key30 := "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" // 30 bytes: AES-CM key and salt
	gcm, err := NewCrypto(2, SuiteAEADAES128GCM)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in    string
		suite string // "" = refused
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30, SuiteAESCM128SHA1_80},
		{"3 AES_CM_128_HMAC_SHA1_32 inline:" + key30 + "|2^31", SuiteAESCM128SHA1_32},
		{gcm.String(), SuiteAEADAES128GCM},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4", ""},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP", ""},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + ";inline:" + key30, ""},
		{"1 F8_128_HMAC_SHA1_80 inline:" + key30, ""},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", ""},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + key30, ""},
		{"1 AES_CM_128_HMAC_SHA1_80", ""},
	} {
		c, err := ParseCrypto(tc.in)
		if tc.suite == "" {
			if !errors.Is(err, ErrCrypto) {
				t.Errorf("ParseCrypto(%q) = %+v, %v; want ErrCrypto", tc.in, c, err)
			}
			continue
		}
		if err != nil || c.Suite != tc.suite {
			t.Errorf("ParseCrypto(%q) = %+v, %v; want suite %s", tc.in, c, err, tc.suite)
		}
	}
}

// srtpTestPacket builds a PCMU packet of 160 samples of tone.
func srtpTestPacket(t testing.TB, seq uint16, pcm []int16) []byte {
	t.Helper()
	payload := make([]byte, len(pcm))
	g711.Ulaw.Encode(payload, pcm)
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq,
		Timestamp: uint32(seq) * 160, SSRC: 0x5eed}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSRTPRoundTrip: every suite protects and unprotects; a flipped bit,
// a replay and the wrong key are refused.
func TestSRTPRoundTrip(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			a, _ := NewCrypto(1, s.name)
			b, _ := NewCrypto(1, s.name)
			alice, err := NewSRTP(a, b)
			if err != nil {
				t.Fatal(err)
			}
			bob, err := NewSRTP(b, a)
			if err != nil {
				t.Fatal(err)
			}
			pkt := srtpTestPacket(t, 7, make([]int16, 160))
			enc, err := alice.Protect(make([]byte, 0, 1500), pkt)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(enc, pkt[12:]) {
				t.Error("payload in clear in the SRTP packet")
			}
			dec, err := bob.Unprotect(make([]byte, 0, 1500), enc)
			if err != nil || !bytes.Equal(dec, pkt) {
				t.Fatalf("unprotect: %v, equal %v", err, bytes.Equal(dec, pkt))
			}
			if _, err := bob.Unprotect(make([]byte, 0, 1500), enc); err == nil {
				t.Error("replayed packet accepted")
			}
			enc2, _ := alice.Protect(make([]byte, 0, 1500), srtpTestPacket(t, 8, make([]int16, 160)))
			enc2[20] ^= 1
			if _, err := bob.Unprotect(make([]byte, 0, 1500), enc2); err == nil {
				t.Error("tampered packet accepted")
			}
			if _, err := alice.Unprotect(make([]byte, 0, 1500), enc); err == nil {
				t.Error("packet accepted under the wrong key")
			}
			rr := []byte{0x80, 201, 0, 1, 0, 0, 0x5e, 0xed} // empty receiver report
			sr, err := alice.ProtectRTCP(make([]byte, 0, 1500), rr)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := bob.UnprotectRTCP(make([]byte, 0, 1500), sr); err != nil || !bytes.Equal(got, rr) {
				t.Errorf("srtcp: %v", err)
			}
		})
	}
}

// BenchmarkSRTP: protect and unprotect one 20 ms PCMU packet; both must
// stay allocation-free.
func BenchmarkSRTP(b *testing.B) {
	for _, s := range suites {
		b.Run(s.name, func(b *testing.B) {
			k1, _ := NewCrypto(1, s.name)
			k2, _ := NewCrypto(1, s.name)
			tx, _ := NewSRTP(k1, k2)
			rx, _ := NewSRTP(k2, k1)
			pkt := srtpTestPacket(b, 1, make([]int16, 160))
			enc := make([]byte, 0, 1500)
			dec := make([]byte, 0, 1500)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt[2], pkt[3] = byte(i>>8), byte(i) // a new sequence number: no replay
				e, err := tx.Protect(enc, pkt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := rx.Unprotect(dec, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSRTPAllocFree: the per-packet transform allocates nothing.
func TestSRTPAllocFree(t *testing.T) {
	if raceBuild {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items)")
	}
	for _, s := range suites {
		k1, _ := NewCrypto(1, s.name)
		k2, _ := NewCrypto(1, s.name)
		tx, _ := NewSRTP(k1, k2)
		rx, _ := NewSRTP(k2, k1)
		pkt := srtpTestPacket(t, 1, make([]int16, 160))
		enc, dec := make([]byte, 0, 1500), make([]byte, 0, 1500)
		seq := 0
		tx.Protect(enc, pkt) // first packet of an SSRC sets up its state
		if a := testing.AllocsPerRun(200, func() {
			seq++
			pkt[2], pkt[3] = byte(seq>>8), byte(seq)
			e, _ := tx.Protect(enc, pkt)
			rx.Unprotect(dec, e)
		}); a > 0 {
			t.Errorf("%s: %.1f allocations per packet, want 0", s.name, a)
		}
	}
}

// TestSRTPFromFFmpeg: ffmpeg (libavformat's own SRTP, an independent
// implementation) sends a 1 kHz tone as SRTP and SRTCP with an SDES key
// sipbell made; sipbell's transform authenticates and decrypts it to the
// tone, while the packets as sent do not decode to it.
func TestSRTPFromFFmpeg(t *testing.T) {
	t.Parallel()
	ffmpeg := interop.Need(t, "ffmpeg", "ffmpeg")
	for _, suite := range []string{SuiteAESCM128SHA1_80, SuiteAESCM128SHA1_32} {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			key, err := NewCrypto(1, suite)
			if err != nil {
				t.Fatal(err)
			}
			local, _ := NewCrypto(1, suite)
			s, err := NewSRTP(local, key)
			if err != nil {
				t.Fatal(err)
			}
			rtpConn, rtcpConn := listenPair(t)
			wav := filepath.Join(t.TempDir(), "tone.wav")
			interop.WriteToneWAV(t, wav, 1000, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			params := strings.TrimPrefix(strings.Fields(key.String())[2], "inline:")
			cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-i", wav,
				"-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "rtp",
				"-srtp_out_suite", suite, "-srtp_out_params", params,
				fmt.Sprintf("srtp://127.0.0.1:%d?rtcpport=%d", rtpConn.LocalAddr().(*net.UDPAddr).Port,
					rtcpConn.LocalAddr().(*net.UDPAddr).Port))
			out := &bytes.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var heard, raw []int16
			buf, dec := make([]byte, 1500), make([]byte, 0, 1500)
			pcm := make([]int16, 1500)
			for len(heard) < 8000 {
				rtpConn.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
				n, _, err := rtpConn.ReadFrom(buf)
				if err != nil {
					cancel()
					<-done
					t.Fatalf("after %d samples: %v; ffmpeg: %s", len(heard), err, out)
				}
				var plain rtp.Packet
				if plain.Unmarshal(buf[:n]) == nil {
					m := g711.Ulaw.Decode(pcm, plain.Payload)
					raw = append(raw, pcm[:m]...)
				}
				p, err := s.Unprotect(dec, buf[:n])
				if err != nil {
					t.Fatalf("unprotect ffmpeg's packet: %v", err)
				}
				var pkt rtp.Packet
				if err := pkt.Unmarshal(p); err != nil {
					t.Fatal(err)
				}
				m := g711.Ulaw.Decode(pcm, pkt.Payload)
				heard = append(heard, pcm[:m]...)
			}
			if share := interop.ToneShare(heard[800:], 1000); share < 0.9 {
				t.Errorf("decrypted audio: 1 kHz share %.2f, want > 0.9", share)
			}
			if share := interop.ToneShare(raw[800:], 1000); share > 0.2 {
				t.Errorf("packets as sent decode to the tone (share %.2f): not encrypted", share)
			}
			cancel()
			<-done
			if suite == SuiteAESCM128SHA1_32 {
				// ffmpeg cuts SRTCP's tag to 32 bits too; RFC 4568 §6.2
				// keeps it at 80 (as sipbell does): no common SRTCP here.
				return
			}
			// ffmpeg's sender reports come as SRTCP.
			rtcpConn.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, _, err := rtcpConn.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no RTCP from ffmpeg: %v", err)
			}
			if _, err := s.UnprotectRTCP(dec, buf[:n]); err != nil {
				t.Errorf("unprotect ffmpeg's SRTCP: %v", err)
			}
		})
	}
}

// listenPair opens two UDP sockets on loopback for RTP and RTCP.
func listenPair(t *testing.T) (net.PacketConn, net.PacketConn) {
	t.Helper()
	var out []net.PacketConn
	for range 2 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		out = append(out, c)
	}
	return out[0], out[1]
}
