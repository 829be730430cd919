package wav

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/sipbell/sipbell/audio"
)

// FuzzNewReader feeds arbitrary bytes to the WAV parser and the
// call-format source on top of it: they must return an error or samples,
// never panic or loop. Seeds are in testdata/fuzz/FuzzNewReader; run with
// go test -fuzz FuzzNewReader ./audio/wav/
func FuzzNewReader(f *testing.F) {
	for _, name := range []string{"testdata/u8.wav", "testdata/float.wav"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add(header(1, 2, 44100, 16, 16))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewSource(bytes.NewReader(data))
		if err != nil {
			return
		}
		frame := audio.NewFrame()
		// The source can only yield data bytes plus the filter tail: bound it.
		limit := len(data) + 100
		for i := 0; ; i++ {
			if err := s.Read(context.Background(), frame); err == io.EOF {
				return
			} else if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if i > limit {
				t.Fatalf("more than %d frames from %d bytes", limit, len(data))
			}
		}
	})
}
