package callerid_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/callerid"
)

var _ audio.Source = (*callerid.Source)(nil)

func TestSource(t *testing.T) {
	pcm := make([]int16, 2*audio.FrameSamples+7)
	for i := range pcm {
		pcm[i] = int16(i + 1)
	}
	s := callerid.NewSource(pcm)
	ctx := context.Background()
	var got []int16
	f := audio.NewFrame()
	for i := range 3 {
		f[len(f)-1] = -1 // must be overwritten (the padding is silence)
		if err := s.Read(ctx, f); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		got = append(got, f...)
	}
	if err := s.Read(ctx, f); !errors.Is(err, io.EOF) {
		t.Fatalf("after the signal: %v, want io.EOF", err)
	}
	want := append(slices.Clone(pcm), make([]int16, audio.FrameSamples-7)...)
	if !slices.Equal(got, want) {
		t.Error("samples differ from the signal padded with silence")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := callerid.NewSource(pcm).Read(cctx, f); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	s.Close()
	if err := s.Read(ctx, f); !errors.Is(err, callerid.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
