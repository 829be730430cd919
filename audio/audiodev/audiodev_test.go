package audiodev

import (
	"context"
	"errors"
	"io"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
	"github.com/sipbell/sipbell/audio/audiotest"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/audio/wav"
)

// The simulated board: WAV in, tone out to a WAV recording, paced.
func TestSimulatedBoardDevices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Unix(0, 0)
	clk := audiotest.NewClock(t0)

	// Make a 100 ms "microphone" recording.
	in := filepath.Join(dir, "mic.wav")
	s, err := wav.CreateSink(in)
	if err != nil {
		t.Fatal(err)
	}
	f := audio.NewFrame()
	for i := range f {
		f[i] = 1000
	}
	for range 5 {
		_ = s.Write(ctx, f)
	}
	s.Close()

	cfg := audio.DefaultConfig()
	cfg.Capture, cfg.Playback = in, filepath.Join(dir, "speaker.wav")
	cfg.CaptureGainDB, cfg.PlaybackGainDB = 6.0206, -6.0206
	src, err := OpenCapture(ctx, cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for ; ; n++ {
		if err := src.Read(ctx, f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if f[80] != 2000 {
			t.Fatalf("captured %d, want 2000 (1000 at +6 dB)", f[80])
		}
	}
	if n != 5 || clk.Now().Sub(t0) != 100*time.Millisecond {
		t.Errorf("%d frames in %v, want 5 in 100ms", n, clk.Now().Sub(t0))
	}

	sink, err := OpenPlayback(ctx, cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	busy, err := Tone(cfg, tone.Busy)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 { // 1 s of US busy
		_ = busy.Read(ctx, f)
		if err := sink.Write(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := wav.Open(cfg.Playback)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	var peak int16
	for {
		if err := rec.Read(ctx, f); err == io.EOF {
			break
		}
		for _, v := range f {
			peak = max(peak, v)
		}
	}
	// Two components at DefaultGain, then -6 dB.
	if want := int16(math.Round(tone.DefaultGain * 32767)); peak < want-200 || peak > want+200 {
		t.Errorf("recorded peak %d, want about %d", peak, want)
	}
}

func TestDefaultDevices(t *testing.T) {
	ctx := context.Background()
	clk := audiotest.NewClock(time.Unix(0, 0))
	cfg := audio.DefaultConfig()
	src, err := OpenCapture(ctx, cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := OpenPlayback(ctx, cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	f := audio.NewFrame()
	for range 10 {
		if err := src.Read(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := sink.Write(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.Now().Sub(time.Unix(0, 0)); got != 180*time.Millisecond {
		t.Errorf("10 frames took %v of clock, want 180ms (frame 9 due at 9*20ms)", got)
	}
	src.Close()
	sink.Close()
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	clk := audiotest.NewClock(time.Unix(0, 0))
	cfg := audio.DefaultConfig()
	cfg.Capture = "hw:31,0" // no such card (this machine has no /dev/snd)
	if _, err := OpenCapture(ctx, cfg, clk); !errors.Is(err, alsa.ErrNoDevice) {
		t.Errorf("missing card: %v", err)
	}
	cfg = audio.DefaultConfig()
	cfg.Capture = filepath.Join(t.TempDir(), "nope.wav")
	if _, err := OpenCapture(ctx, cfg, clk); err == nil {
		t.Error("missing WAV accepted")
	}
	cfg = audio.DefaultConfig()
	cfg.Playback = filepath.Join(t.TempDir(), "no", "dir", "x.wav")
	if _, err := OpenPlayback(ctx, cfg, clk); err == nil {
		t.Error("unwritable WAV accepted")
	}
	cfg = audio.DefaultConfig()
	cfg.Periods = 0
	if _, err := OpenPlayback(ctx, cfg, clk); err == nil {
		t.Error("invalid config accepted")
	}
}
