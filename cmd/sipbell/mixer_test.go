package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
)

// fakeMixer is a WM8960's mixer, in part.
type fakeMixer struct{ cs map[string]*alsa.Control }

func newFakeMixer() *fakeMixer {
	return &fakeMixer{cs: map[string]*alsa.Control{
		"Speaker Playback Volume": {Name: "Speaker Playback Volume", Type: "integer", Max: 127, Values: []int{0, 0}, Writable: true},
		"Capture Volume":          {Name: "Capture Volume", Type: "integer", Max: 63, Values: []int{0, 0}, Writable: true},
		"Capture Switch":          {Name: "Capture Switch", Type: "boolean", Max: 1, Values: []int{0, 0}, Writable: true},
	}}
}

func (f *fakeMixer) Path() string { return "/dev/snd/controlC0" }
func (f *fakeMixer) Close() error { return nil }
func (f *fakeMixer) Controls() ([]alsa.Control, error) {
	var out []alsa.Control
	for _, c := range f.cs {
		out = append(out, *c)
	}
	return out, nil
}
func (f *fakeMixer) Get(name string, idx uint32) (alsa.Control, error) {
	c, ok := f.cs[name]
	if !ok || idx != 0 {
		return alsa.Control{}, fmt.Errorf("%q: %w", name, alsa.ErrNoControl)
	}
	return *c, nil
}
func (f *fakeMixer) Set(name string, idx uint32, v int) (alsa.Control, error) {
	c, err := f.Get(name, idx)
	if err != nil {
		return c, err
	}
	for i := range f.cs[name].Values {
		f.cs[name].Values[i] = v
	}
	return *f.cs[name], nil
}

func TestApplyMixer(t *testing.T) { // not parallel: replaces openMixer
	f := newFakeMixer()
	var opened string
	old := openMixer
	openMixer = func(card string) (mixerDev, error) {
		opened = card
		if card == "hw:9" {
			return nil, alsa.ErrNoDevice
		}
		return f, nil
	}
	defer func() { openMixer = old }()
	for _, tc := range []struct {
		name     string
		playback string
		card     string
		controls []audio.MixerSetting
		set      int
		opened   string
		log      string
	}{
		{"wm8960 levels", "hw:CARD=wm8960soundcard,DEV=0", "", []audio.MixerSetting{
			{Name: "Speaker Playback Volume", Value: "80%"}, {Name: "Capture Volume", Value: "40"}, {Name: "Capture Switch", Value: "on"}},
			3, "hw:CARD=wm8960soundcard,DEV=0", "mixer control set"},
		{"a wrong name is logged, the rest set", "hw:0", "", []audio.MixerSetting{
			{Name: "Speaker Volume", Value: "80%"}, {Name: "Capture Volume", Value: "63"}}, 1, "hw:0", "Capture Switch"},
		{"a value out of range", "hw:0", "", []audio.MixerSetting{{Name: "Capture Volume", Value: "64"}}, 0, "hw:0", "not a value of this control"},
		{"the card named", "speaker.wav", "hw:1", []audio.MixerSetting{{Name: "Capture Switch", Value: "off"}}, 1, "hw:1", "mixer control set"},
		{"no sound card", "speaker.wav", "", []audio.MixerSetting{{Name: "Capture Switch", Value: "off"}}, 0, "", "no sound card"},
		{"card missing", "hw:9", "", []audio.MixerSetting{{Name: "Capture Switch", Value: "off"}}, 0, "hw:9", "mixer unavailable"},
	} {
		opened = ""
		var buf bytes.Buffer
		cfg := audio.DefaultConfig()
		cfg.Playback, cfg.Mixer = tc.playback, audio.MixerConfig{Card: tc.card, Controls: tc.controls}
		if n := applyMixer(cfg, slog.New(slog.NewTextHandler(&buf, nil))); n != tc.set || opened != tc.opened || !strings.Contains(buf.String(), tc.log) {
			t.Errorf("%s: set %d on %q, log %s; want %d on %q with %q", tc.name, n, opened, buf.String(), tc.set, tc.opened, tc.log)
		}
	}
	if v := f.cs["Speaker Playback Volume"].Values; v[0] != 102 || v[1] != 102 {
		t.Errorf("speaker volume %v, want 80%% of 127 on both channels", v)
	}
}
