package interop

import (
	"bytes"
	"testing"

	"github.com/sipbell/sipbell/audio/wav"
)

// TestEncodeWAVRoundTrip: the project's own WAV reader reads back what
// EncodeWAV wrote, sample for sample, as 8 kHz mono.
func TestEncodeWAVRoundTrip(t *testing.T) {
	t.Parallel()
	in := []int16{0, 1, -1, 32767, -32768, 1234, -4321}
	rd, err := wav.NewReader(bytes.NewReader(EncodeWAV(in)))
	if err != nil {
		t.Fatal(err)
	}
	if f := rd.Format(); f.Rate != 8000 {
		t.Fatalf("format %+v, want 8 kHz", f)
	}
	out := make([]int16, 16)
	n, _ := rd.Read(out)
	if n != len(in) {
		t.Fatalf("read %d samples, want %d", n, len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("sample %d = %d, want %d", i, out[i], in[i])
		}
	}
}
