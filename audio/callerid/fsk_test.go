package callerid_test

import (
	"math"
	"testing"

	"github.com/sipbell/sipbell/audio/callerid"
	"github.com/sipbell/sipbell/internal/interop"
)

func TestFSKLayout(t *testing.T) {
	msg, _ := doorMsg.MarshalBinary()
	for _, std := range []callerid.Standard{callerid.Bell202, callerid.V23} {
		t.Run(std.String(), func(t *testing.T) {
			x, err := callerid.FSK(msg, callerid.FSKOptions{Standard: std})
			if err != nil {
				t.Fatal(err)
			}
			bits := 300 + 180 + 10*len(msg) + 10
			if want := (bits*8000 + 600) / 1200; len(x) != want {
				t.Fatalf("%d samples, want %d (%d bits at 1200 baud)", len(x), want, bits)
			}
			if n, _ := callerid.FSKSamples(len(msg), callerid.FSKOptions{Standard: std}); n != len(x) {
				t.Errorf("FSKSamples = %d, want %d", n, len(x))
			}
			mark, space := std.Tones()
			// The mark signal (bits 300..480) is the mark tone alone.
			m := x[300*8000/1200+20 : 480*8000/1200-20]
			if s := interop.ToneShare(m, mark); s < 0.9 {
				t.Errorf("mark signal: %.2f of the energy at %g Hz, want > 0.9", s, mark)
			}
			if s := interop.ToneShare(m, space); s > 0.05 {
				t.Errorf("mark signal: %.2f of the energy at space %g Hz, want ~0", s, space)
			}
			// Bit by bit: the seizure alternates from 0, then 180 marks,
			// then each byte framed start, LSB first, stop, then the tail.
			want := make([]int, 0, bits)
			for i := range 300 {
				want = append(want, i&1)
			}
			for range 180 {
				want = append(want, 1)
			}
			for _, c := range msg {
				want = append(want, 0)
				for j := range 8 {
					want = append(want, int(c>>j)&1)
				}
				want = append(want, 1)
			}
			for range 10 {
				want = append(want, 1)
			}
			got := bitsOf(x, mark, space)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("bit %d is %d, want %d", i, got[i], want[i])
				}
			}
			// Phase-continuous: no sample-to-sample step larger than the
			// highest tone's slope allows (a phase jump would make one).
			amp := callerid.Amplitude(callerid.DefaultLevel)
			maxStep := amp * 2 * math.Pi * space / 8000 * 1.01
			for i := 1; i < len(x); i++ {
				if d := math.Abs(float64(x[i]) - float64(x[i-1])); d > maxStep+1 {
					t.Fatalf("step %g at sample %d, more than %g: phase discontinuity", d, i, maxStep)
				}
			}
			if peak := peakOf(x); math.Abs(peak-amp) > amp*0.01+1 {
				t.Errorf("peak %g, want %g for %g dBm0", peak, amp, callerid.DefaultLevel)
			}
		})
	}
}

// bitsOf decides each 1200-baud bit of x by correlating it with the mark
// and the space tone.
func bitsOf(x []int16, mark, space float64) []int {
	var out []int
	for k := 0; ; k++ {
		a, b := (k*8000+600)/1200, ((k+1)*8000+600)/1200
		if b > len(x) {
			return out
		}
		if corr(x[a:b], mark) > corr(x[a:b], space) {
			out = append(out, 1)
		} else {
			out = append(out, 0)
		}
	}
}

func corr(x []int16, f float64) float64 {
	var re, im float64
	for i, v := range x {
		re += float64(v) * math.Cos(2*math.Pi*f*float64(i)/8000)
		im += float64(v) * math.Sin(2*math.Pi*f*float64(i)/8000)
	}
	return math.Hypot(re, im)
}

func peakOf(x []int16) float64 {
	var p float64
	for _, v := range x {
		p = max(p, math.Abs(float64(v)))
	}
	return p
}

func TestFSKOptions(t *testing.T) {
	x, err := callerid.FSK([]byte{0xff}, callerid.FSKOptions{SeizureBits: -1, MarkBits: 3, TailBits: -1, Level: -20})
	if err != nil {
		t.Fatal(err)
	}
	if want := (13*8000 + 600) / 1200; len(x) != want {
		t.Errorf("%d samples, want %d", len(x), want)
	}
	if p, want := peakOf(x), callerid.Amplitude(-20); math.Abs(p-want) > want*0.02+1 {
		t.Errorf("peak %g, want %g", p, want)
	}
	if a := callerid.Amplitude(callerid.FullScaleDBm0); math.Abs(a-32767) > 0.5 {
		t.Errorf("Amplitude(full scale) = %g", a)
	}
	dst := []int16{7}
	if y, _ := callerid.AppendFSK(dst, []byte{1}, callerid.FSKOptions{}); y[0] != 7 || len(y) <= 1 {
		t.Error("AppendFSK lost dst")
	}
	for name, o := range map[string]callerid.FSKOptions{
		"standard":  {Standard: 7},
		"loud":      {Level: 1},
		"quiet":     {Level: -41},
		"NaN":       {Level: math.NaN()},
		"long mark": {MarkBits: 10001},
	} {
		if _, err := callerid.FSK([]byte{1}, o); err == nil {
			t.Errorf("%s: FSK accepted %+v", name, o)
		}
	}
	if _, err := callerid.FSK(make([]byte, 4097), callerid.FSKOptions{}); err == nil {
		t.Error("FSK accepted 4097 bytes")
	}
	if callerid.V23.String() != "v23" || callerid.Standard(9).String() == "" {
		t.Error("Standard.String wrong")
	}
}

func BenchmarkFSK(b *testing.B) {
	msg, _ := doorMsg.MarshalBinary()
	n, _ := callerid.FSKSamples(len(msg), callerid.FSKOptions{})
	buf := make([]int16, 0, n)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = callerid.AppendFSK(buf[:0], msg, callerid.FSKOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/8000, "signal-s/op")
}

func BenchmarkMarshal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := doorMsg.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDTMF(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := callerid.DTMF(doorMsg, callerid.DTMFOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
