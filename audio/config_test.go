package audio_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c := audio.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*audio.Config)
		path string // "" = valid
	}{
		{"alsa devices", func(c *audio.Config) { c.Capture, c.Playback = "hw:0,0", "hw:1" }, ""},
		{"wav files", func(c *audio.Config) { c.Capture, c.Playback = "/tmp/in.wav", "out.WAV" }, ""},
		{"device node", func(c *audio.Config) { c.Capture = "/dev/snd/pcmC0D0c" }, ""},
		{"44.1k, 60ms x 2, UK, gains", func(c *audio.Config) {
			c.NativeRate, c.Period, c.Periods, c.ToneCountry = 44100, 60*time.Millisecond, 2, "uk"
			c.PlaybackGainDB, c.CaptureGainDB = -40, 20
		}, ""},
		{"empty capture", func(c *audio.Config) { c.Capture = "" }, "capture"},
		{"plugin name", func(c *audio.Config) { c.Playback = "default" }, "playback"},
		{"discard as capture", func(c *audio.Config) { c.Capture = "discard" }, "capture"},
		{"bad hw", func(c *audio.Config) { c.Capture = "hw:a,b" }, "capture"},
		{"card by id", func(c *audio.Config) { c.Capture, c.Playback = "hw:CARD=wm8960soundcard,DEV=0", "hw:Device,0" }, ""},
		{"bad card id", func(c *audio.Config) { c.Playback = "hw:CARD=no such,DEV=0" }, "playback"},
		{"plughw", func(c *audio.Config) { c.Capture = "plughw:1,0" }, "capture"},
		{"playback node", func(c *audio.Config) { c.Playback = "/dev/snd/pcmC0D0p" }, ""},
		{"capture node as playback", func(c *audio.Config) { c.Playback = "/dev/snd/pcmC0D0c" }, "playback"},
		{"not a node", func(c *audio.Config) { c.Capture = "/dev/dsp" }, "capture"},
		{"rate", func(c *audio.Config) { c.NativeRate = 22050 }, "native_rate"},
		{"period step", func(c *audio.Config) { c.Period = 25 * time.Millisecond }, "period"},
		{"period zero", func(c *audio.Config) { c.Period = 0 }, "period"},
		{"periods", func(c *audio.Config) { c.Periods = 1 }, "periods"},
		{"country", func(c *audio.Config) { c.ToneCountry = "Atlantis" }, "tone_country"},
		{"gain", func(c *audio.Config) { c.PlaybackGainDB = 30 }, "playback_gain_db"},
		{"gain NaN", func(c *audio.Config) { c.CaptureGainDB = math.NaN() }, "capture_gain_db"},
		{"echo off, 1s tail", func(c *audio.Config) { c.EchoCancel.Mode, c.EchoCancel.Tail = "off", time.Second }, ""},
		{"echo mode", func(c *audio.Config) { c.EchoCancel.Mode = "yes" }, "echo_cancel.mode"},
		{"echo tail", func(c *audio.Config) { c.EchoCancel.Tail = 10 * time.Millisecond }, "echo_cancel.tail"},
		{"echo delay", func(c *audio.Config) { c.EchoCancel.Delay = -time.Millisecond }, "echo_cancel.delay"},
	}
	for _, tc := range tests {
		c := audio.DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if tc.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var l cfgerr.List
		if !errors.As(err, &l) || len(l) != 1 || l[0].Path != tc.path {
			t.Errorf("%s: got %v, want one error at %q", tc.name, err, tc.path)
		}
	}
	c := audio.Config{}
	var l cfgerr.List
	if err := c.Validate(); !errors.As(err, &l) || len(l) != 6 || !strings.Contains(err.Error(), "capture:") {
		t.Errorf("zero Config: %v", err)
	}
}

func TestGain(t *testing.T) {
	ctx := context.Background()
	src := audiotest.NewSource([]int16{1000, -1000, 30000, -30000})
	g := audio.NewGainSource(src, 6.0206) // x2
	f := make([]int16, 4)
	if err := g.Read(ctx, f); err != nil {
		t.Fatal(err)
	}
	if f[0] != 2000 || f[1] != -2000 || f[2] != 32767 || f[3] != -32768 {
		t.Errorf("gain x2 = %v", f)
	}
	sink := audiotest.NewSink()
	gs := audio.NewGainSink(sink, -20)
	in := []int16{10000, -500}
	if err := gs.Write(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := sink.Samples(); got[0] != 1000 || got[1] != -50 || in[0] != 10000 {
		t.Errorf("gain /10 = %v (caller's frame %v)", got, in)
	}
	nan := audio.NewGainSource(audiotest.NewSource([]int16{123}), math.NaN())
	if err := nan.Read(ctx, f[:1]); err != nil || f[0] != 123 {
		t.Errorf("NaN dB must leave samples alone: %d %v", f[0], err)
	}
	if gs.Close() != nil || !sink.Closed() || g.Close() != nil {
		t.Error("Close not passed through")
	}
}

func TestPacedSink(t *testing.T) {
	t0 := time.Unix(0, 0)
	clk := audiotest.NewClock(t0)
	sink := audiotest.NewSink()
	p := audio.NewPacedSink(sink, clk, audio.FrameDuration)
	for range 50 {
		if err := p.Write(context.Background(), audio.NewFrame()); err != nil {
			t.Fatal(err)
		}
		clk.Advance(3 * time.Millisecond)
	}
	if w := clk.Waits(); w[49] != t0.Add(49*audio.FrameDuration) {
		t.Errorf("frame 49 due at %v", w[49].Sub(t0))
	}
	if len(sink.Frames()) != 50 || p.Close() != nil || !sink.Closed() {
		t.Error("frames not passed through")
	}
}

func TestPacedSinkRestartAfterPause(t *testing.T) {
	t0 := time.Unix(0, 0)
	clk := audiotest.NewClock(t0)
	sink := audiotest.NewSink()
	var w audio.Sink = audio.NewGainSink(audio.NewPacedSink(sink, clk, audio.FrameDuration), 0)
	write := func() {
		if err := w.Write(context.Background(), audio.NewFrame()); err != nil {
			t.Fatal(err)
		}
	}
	write()
	write() // due at t0+20ms
	clk.Advance(time.Second)
	w.(audio.Restarter).Restart() // through the gain decorator
	write()
	write()
	waits := clk.Waits()
	if got, want := waits[len(waits)-1], t0.Add(time.Second+2*audio.FrameDuration); !got.Equal(want) {
		t.Errorf("after a pause and Restart the 2nd frame is due at %v, want %v (paced from the restart, not caught up)",
			got.Sub(t0), want.Sub(t0))
	}
}

// TestEchoWhen: the canceller runs by default between sound cards only,
// when turned on also between WAV files, never without both devices or
// when turned off.
func TestEchoWhen(t *testing.T) {
	for _, tc := range []struct {
		mode, capture, playback string
		want                    bool
	}{
		{"", "hw:0,0", "hw:0,0", true},
		{"auto", "hw:0,0", "/dev/snd/pcmC0D0p", true},
		{"auto", "mic.wav", "speaker.wav", false},
		{"auto", "hw:0,0", "discard", false},
		{"on", "mic.wav", "speaker.WAV", true},
		{"on", "silence", "hw:0,0", false},
		{"off", "hw:0,0", "hw:0,0", false},
	} {
		c := audio.DefaultConfig()
		c.EchoCancel.Mode, c.Capture, c.Playback = tc.mode, tc.capture, tc.playback
		if got := c.Echo(); got != tc.want {
			t.Errorf("mode %q, %s -> %s: Echo() = %v, want %v", tc.mode, tc.playback, tc.capture, got, tc.want)
		}
	}
}
