package g711

import (
	"math"
	"testing"
)

func sine(n int, amp, freq float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	in := sine(160, 8000, 1000)
	for _, law := range []Law{Ulaw, Alaw} {
		t.Run(law.String(), func(t *testing.T) {
			enc := make([]byte, 160)
			out := make([]int16, 160)
			if n := law.Encode(enc, in); n != 160 {
				t.Fatalf("Encode wrote %d", n)
			}
			if n := law.Decode(out, enc); n != 160 {
				t.Fatalf("Decode wrote %d", n)
			}
			for i := range in {
				d := math.Abs(float64(in[i]) - float64(out[i]))
				// G.711 quantisation step is at most 1/16 of the magnitude
				// (plus a small absolute floor near zero).
				if lim := math.Abs(float64(in[i]))/16 + 16; d > lim {
					t.Fatalf("sample %d: %d -> %d, error %.0f > %.0f", i, in[i], out[i], d, lim)
				}
			}
		})
	}
}

func TestKnownCodes(t *testing.T) {
	tests := []struct {
		law  Law
		pcm  int16
		code byte
	}{
		{Ulaw, 0, 0xff}, // µ-law silence
		{Ulaw, -32768, 0x00},
		{Ulaw, 32767, 0x80},
		{Alaw, 0, 0xd5}, // A-law silence
	}
	for _, tc := range tests {
		var b [1]byte
		tc.law.Encode(b[:], []int16{tc.pcm})
		if b[0] != tc.code {
			t.Errorf("%v Encode(%d) = %#02x, want %#02x", tc.law, tc.pcm, b[0], tc.code)
		}
	}
}

func TestShortBuffersAndInvalidLaw(t *testing.T) {
	pcm := sine(10, 1000, 500)
	dst := make([]byte, 4)
	if n := Ulaw.Encode(dst, pcm); n != 4 {
		t.Errorf("Encode into 4 bytes = %d", n)
	}
	if n := Alaw.Decode(make([]int16, 2), dst); n != 2 {
		t.Errorf("Decode into 2 samples = %d", n)
	}
	var bad Law
	if bad.Encode(dst, pcm) != 0 || bad.Decode(pcm, dst) != 0 || bad.PayloadType() != -1 {
		t.Error("the zero Law must do nothing")
	}
	if Ulaw.PayloadType() != 0 || Alaw.PayloadType() != 8 || bad.String() != "g711.Law(0)" {
		t.Error("payload types / names wrong")
	}
}

func TestEncodeDecodeAllocFree(t *testing.T) {
	pcm := sine(160, 8000, 1000)
	enc := make([]byte, 160)
	out := make([]int16, 160)
	for _, law := range []Law{Ulaw, Alaw} {
		if a := testing.AllocsPerRun(100, func() { law.Encode(enc, pcm); law.Decode(out, enc) }); a != 0 {
			t.Errorf("%v: %v allocs per frame, want 0", law, a)
		}
	}
}

// BenchmarkFrame encodes and decodes one 20 ms frame (160 samples).
func BenchmarkFrame(b *testing.B) {
	pcm := sine(160, 8000, 1000)
	enc := make([]byte, 160)
	out := make([]int16, 160)
	for _, law := range []Law{Ulaw, Alaw} {
		b.Run(law.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				law.Encode(enc, pcm)
				law.Decode(out, enc)
			}
		})
	}
}
