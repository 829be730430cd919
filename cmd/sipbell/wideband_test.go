package main

import (
	"context"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// TestDeviceRate: the door's speaker and microphone run at 16 kHz when
// G722 is listed, the analog phone always at 8 kHz.
func TestDeviceRate(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		codecs []string
		want   int
	}{
		{device.ModeDoor, []string{"PCMU", "PCMA"}, 8000},
		{device.ModeDoor, []string{"g722", "PCMU"}, 16000},
		{device.ModeDoor, []string{"PCMA", "G722"}, 16000},
		{device.ModeATA, []string{"G722", "PCMU"}, 8000},
	} {
		var cfg provisioning.File
		cfg.Device.Mode, cfg.Media.Codecs = tc.mode, tc.codecs
		if got := deviceRate(cfg); got != tc.want {
			t.Errorf("deviceRate(%s, %v) = %d, want %d", tc.mode, tc.codecs, got, tc.want)
		}
	}
}

// TestWideSpeakerCues: on a 16 kHz speaker the door station's cues (made
// at 8 kHz) are upsampled, so US ringback keeps 440 + 480 Hz (mixed in as
// 8 kHz samples they would play an octave up, at 880 + 960 Hz).
func TestWideSpeakerCues(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		cues, err := device.NewCues("US", device.Prompts{})
		if err != nil {
			t.Fatal(err)
		}
		s := newSpeaker(ratedSink{audio.NewPacedSink(&audio.Discard{}, audio.SystemClock(), audio.FrameDuration), rate}, cues)
		if s.frame != rate/50 {
			t.Fatalf("%d Hz: speaker frame %d, want %d", rate, s.frame, rate/50)
		}
		if err := cues.Play(device.CueRingback); err != nil {
			t.Fatal(err)
		}
		var got []int16
		out := make([]int16, s.frame)
		for range 50 { // 1 s: ringback's first 2 s are tone
			clear(out)
			if err := s.mixCues(context.Background(), out); err != nil {
				t.Fatal(err)
			}
			got = append(got, out...)
		}
		tone, octave := toneLevel(got, 440, rate)+toneLevel(got, 480, rate), toneLevel(got, 880, rate)+toneLevel(got, 960, rate)
		t.Logf("%d Hz speaker: 440+480 Hz %.0f, 880+960 Hz %.0f", rate, tone, octave)
		if tone < 1000 || octave > tone/30 {
			t.Errorf("%d Hz speaker: ringback at 440+480 Hz %.0f, 880+960 Hz %.0f", rate, tone, octave)
		}
	}
}
