package media

import (
	"context"
	"math"
	"testing"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/g722"
)

// wideSignal returns n samples at sr Hz from offset off: 1 kHz, 5.5 kHz
// and 6.5 kHz at equal levels (the last two only wideband carries).
func wideSignal(sr, off, n int) []int16 {
	x := make([]int16, n)
	for i := range x {
		t := float64(off+i) / float64(sr)
		x[i] = int16(5000 * (math.Sin(2*math.Pi*1000*t) + math.Sin(2*math.Pi*5500*t) + math.Sin(2*math.Pi*6500*t)))
	}
	return x
}

// levelAt returns the amplitude of freq in x (sampled at sr), by Goertzel.
func levelAt(x []int16, freq float64, sr int) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/float64(sr))
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return 2 * math.Sqrt(max(s1*s1+s2*s2-c*s1*s2, 0)) / float64(len(x))
}

// TestG722SenderTimestamps: G.722 packets carry 160 bytes per 20 ms and
// advance the RTP timestamp by 160 (8 kHz clock, RFC 3551) although a
// frame is 320 samples; a frame at the other rate is resampled.
func TestG722SenderTimestamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		codec Codec
		frame int
	}{
		{"G722 at 16 kHz", Codec{G722, 9}, 320},
		{"G722 fed 8 kHz frames", Codec{G722, 9}, 160},
		{"PCMU at 8 kHz", Codec{PCMU, 0}, 160},
		{"PCMU fed 16 kHz frames", Codec{PCMU, 0}, 320},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peer := newRawPeer(t)
			s := listen(t, testConfig(), Options{})
			neg := pcmuNeg(peer.addr)
			neg.Codec = tc.codec
			if err := s.Start(context.Background(), neg); err != nil {
				t.Fatal(err)
			}
			if got := s.FrameSamples(); got != tc.codec.FrameSamples() {
				t.Errorf("FrameSamples = %d, want %d", got, tc.codec.FrameSamples())
			}
			var prev rtp.Packet
			for i := range 4 {
				if err := s.WriteFrame(wideSignal(tc.frame*50, i*tc.frame, tc.frame)); err != nil {
					t.Fatal(err)
				}
				var p rtp.Packet
				if err := p.Unmarshal(peer.read(t)); err != nil {
					t.Fatal(err)
				}
				if p.PayloadType != tc.codec.PT || len(p.Payload) != 160 {
					t.Fatalf("packet %d: PT %d, %d bytes; want PT %d, 160 bytes", i, p.PayloadType, len(p.Payload), tc.codec.PT)
				}
				if i > 0 && (p.Timestamp-prev.Timestamp != 160 || p.SequenceNumber-prev.SequenceNumber != 1) {
					t.Errorf("packet %d: timestamp step %d, sequence step %d; want 160, 1", i,
						p.Timestamp-prev.Timestamp, p.SequenceNumber-prev.SequenceNumber)
				}
				prev = p
			}
		})
	}
}

// TestG722TwoSessionsWideband: two sessions on loopback, audio at 16 kHz.
// With G.722 the 5.5 and 6.5 kHz tones arrive (and the received audio is
// G.722's own round trip, sample for sample, through the jitter buffer at
// 16 kHz); with G.711 they do not.
func TestG722TwoSessionsWideband(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		codec Codec
		wide  bool
	}{{Codec{G722, 9}, true}, {Codec{PCMU, 0}, false}} {
		t.Run(tc.codec.Name, func(t *testing.T) {
			a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
			na, nb := pcmuNeg(b.LocalAddr()), pcmuNeg(a.LocalAddr())
			na.Codec, nb.Codec = tc.codec, tc.codec
			a.Start(context.Background(), na)
			b.Start(context.Background(), nb)
			const n, fl, sr = 50, 320, 16000
			out := make([]int16, fl)
			var got []int16
			for i := 0; i < n+5; i++ {
				if i < n {
					a.WriteFrame(wideSignal(sr, i*fl, fl))
					waitFor(t, "packet", func() bool { return b.Stats().Received == uint64(i+1) })
				}
				b.ReadFrame(out)
				got = append(got, out...)
				if st := b.Stats(); i == n-1 && (st.Lost != 0 || st.Concealed != 0 || st.Late != 0) {
					t.Errorf("clean loopback stats %+v", st)
				}
			}
			start := 0
			for start < len(got) && got[start] == 0 {
				start++
			}
			if len(got)-start < 30*fl {
				t.Fatalf("%d samples of audio came out", len(got)-start)
			}
			rx := got[start+5*fl : start+30*fl]
			l1, l55, l65 := levelAt(rx, 1000, sr), levelAt(rx, 5500, sr), levelAt(rx, 6500, sr)
			t.Logf("%s: 1 kHz %.0f, 5.5 kHz %.0f, 6.5 kHz %.0f", tc.codec.Name, l1, l55, l65)
			if l1 < 2500 {
				t.Errorf("1 kHz arrived at %.0f, sent at 5000", l1)
			}
			carried := l55 > l1/2 && l65 > l1/2
			if carried != tc.wide {
				t.Errorf("5.5/6.5 kHz carried = %v, want %v", carried, tc.wide)
			}
			if !tc.wide {
				return
			}
			ref := wideSignal(sr, 0, n*fl)
			var enc g722.Encoder
			var dec g722.Decoder
			code := make([]byte, len(ref)/2)
			enc.Encode(code, ref)
			dec.Decode(ref, code)
			rs := 0
			for rs < len(ref) && ref[rs] == 0 {
				rs++
			}
			for i := range ref[rs : len(ref)-fl] {
				if got[start+i] != ref[rs+i] {
					t.Fatalf("sample %d differs from the G.722 round trip: %d vs %d", i, got[start+i], ref[rs+i])
				}
			}
		})
	}
}

// TestG722Concealment: a lost G.722 packet is concealed at 16 kHz with
// the timings of 8 kHz: the 1 kHz tone continues through the gap.
func TestG722Concealment(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	neg := pcmuNeg(peer.addr)
	neg.Codec = Codec{G722, 9}
	s.Start(context.Background(), neg)
	var enc g722.Encoder
	code := make([]byte, 160)
	out := make([]int16, 320)
	var got []int16
	for i := range 20 {
		tone := make([]int16, 320)
		for j := range tone {
			tone[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*320+j)/16000))
		}
		enc.Encode(code, tone)
		if i != 10 { // packet 10 is lost
			peer.send(t, s.LocalAddr(), rtpPacket(t, 9, uint16(i), uint32(i*160), 7, i == 0, code))
			waitFor(t, "packet", func() bool { return s.Stats().Received == uint64(i+1-min(1, i/11)) })
		}
		s.ReadFrame(out)
		got = append(got, out...)
	}
	if st := s.Stats(); st.Concealed == 0 {
		t.Fatalf("nothing concealed: %+v", st)
	}
	// The concealed frame is the one that would have held packet 10.
	start := 0
	for start < len(got) && got[start] == 0 {
		start++
	}
	gap := got[start+10*320 : start+11*320]
	// Concealment holds 10 ms at full level, then fades over 50 ms: the
	// 20 ms gap keeps 95% (at 8 kHz timings, 5 ms and 25 ms, 78%).
	if l := levelAt(gap, 1000, 16000); l < 0.88*8000 {
		t.Errorf("1 kHz in the concealed frame at %.0f, want near 8000 (above 7040)", l)
	}
	if l := levelAt(gap, 500, 16000); l > 800 {
		t.Errorf("500 Hz in the concealed frame at %.0f: concealed at the wrong rate", l)
	}
}

// TestG722ReinviteToG711: a re-INVITE moves a running call from G.722 to
// PCMU and back; the audio loop's frames stay at 16 kHz, the session
// changes the codec's rate under them and the 1 kHz tone keeps arriving.
func TestG722ReinviteToG711(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{AudioRate: 16000}), listen(t, testConfig(), Options{AudioRate: 16000})
	na, nb := pcmuNeg(b.LocalAddr()), pcmuNeg(a.LocalAddr())
	const fl, sr = 320, 16000
	out := make([]int16, fl)
	sent := 0
	for _, c := range []Codec{{G722, 9}, {PCMU, 0}, {G722, 9}} {
		na.Codec, nb.Codec = c, c
		a.Start(context.Background(), na)
		b.Start(context.Background(), nb)
		var got []int16
		for i := range 30 {
			a.WriteFrame(wideSignal(sr, sent*fl, fl))
			sent++
			waitFor(t, "packet", func() bool { return b.Stats().Received == uint64(sent) })
			b.ReadFrame(out)
			if i >= 10 {
				got = append(got, out...)
			}
		}
		l1, l55 := levelAt(got, 1000, sr), levelAt(got, 5500, sr)
		t.Logf("%s: 1 kHz %.0f, 5.5 kHz %.0f", c.Name, l1, l55)
		if l1 < 2500 || (c.Name == G722) != (l55 > l1/2) {
			t.Errorf("%s after the re-INVITE: 1 kHz %.0f, 5.5 kHz %.0f", c.Name, l1, l55)
		}
	}
}
