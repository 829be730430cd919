package audio

import (
	"context"
	"errors"
	"testing"
)

func TestFrameConstants(t *testing.T) {
	if FrameSamples != 160 || FrameBytes != 320 {
		t.Fatalf("FrameSamples=%d FrameBytes=%d, want 160 and 320", FrameSamples, FrameBytes)
	}
	if len(NewFrame()) != FrameSamples {
		t.Fatal("NewFrame has the wrong length")
	}
}

func TestSilenceAndDiscard(t *testing.T) {
	ctx := context.Background()
	var s Silence
	f := []int16{1, 2, 3}
	if err := s.Read(ctx, f); err != nil || f[0] != 0 || f[2] != 0 {
		t.Fatalf("Read = %v, frame %v; want zeros", err, f)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Read(cctx, f); !errors.Is(err, context.Canceled) {
		t.Errorf("Read on cancelled ctx = %v", err)
	}
	s.Close()
	if err := s.Read(ctx, f); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v, want ErrClosed", err)
	}
	var d Discard
	if err := d.Write(ctx, f); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := d.Write(ctx, f); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}
