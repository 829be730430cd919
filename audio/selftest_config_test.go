package audio_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestSelfTestConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		st   audio.SelfTestConfig
		path string
	}{
		{"off", audio.SelfTestConfig{}, ""},
		{"daily", audio.SelfTestConfig{Interval: 24 * time.Hour, MinLevelDB: -50}, ""},
		{"too often", audio.SelfTestConfig{Interval: time.Second}, "self_test.interval"},
		{"too rare", audio.SelfTestConfig{Interval: 1000 * time.Hour}, "self_test.interval"},
		{"level too low", audio.SelfTestConfig{MinLevelDB: -100}, "self_test.min_level_db"},
		{"level positive", audio.SelfTestConfig{MinLevelDB: 3}, "self_test.min_level_db"},
		{"level NaN", audio.SelfTestConfig{MinLevelDB: math.NaN()}, "self_test.min_level_db"},
	} {
		c := audio.DefaultConfig()
		c.SelfTest = tc.st
		err := c.Validate()
		var l cfgerr.List
		switch {
		case tc.path == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.path != "" && (!errors.As(err, &l) || len(l) != 1 || l[0].Path != tc.path):
			t.Errorf("%s: got %v, want one error at %q", tc.name, err, tc.path)
		}
	}
}

func TestMixerConfig(t *testing.T) {
	t.Parallel()
	ok := audio.MixerSetting{Name: "Speaker Playback Volume", Value: "80%"}
	for _, tc := range []struct {
		name string
		m    audio.MixerConfig
		path string
	}{
		{"none", audio.MixerConfig{}, ""},
		{"wm8960", audio.MixerConfig{Card: "hw:CARD=wm8960soundcard", Controls: []audio.MixerSetting{ok, {Name: "Capture Switch", Value: "on"}}}, ""},
		{"bad card", audio.MixerConfig{Card: "default"}, "mixer.card"},
		{"no name", audio.MixerConfig{Controls: []audio.MixerSetting{ok, {Value: "1"}}}, "mixer.controls[1].name"},
		{"no value", audio.MixerConfig{Controls: []audio.MixerSetting{{Name: "Capture Volume"}}}, "mixer.controls[0].value"},
		{"too many", audio.MixerConfig{Controls: make([]audio.MixerSetting, 33)}, "mixer.controls"},
	} {
		c := audio.DefaultConfig()
		c.Mixer = tc.m
		err := c.Validate()
		var l cfgerr.List
		switch {
		case tc.path == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.path != "" && (!errors.As(err, &l) || len(l) != 1 || l[0].Path != tc.path):
			t.Errorf("%s: got %v, want one error at %q", tc.name, err, tc.path)
		}
	}
}

func TestVoiceCleanupConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ns   audio.NoiseConfig
		agc  audio.AGCConfig
		path string
	}{
		{"off", audio.NoiseConfig{}, audio.AGCConfig{}, ""},
		{"on", audio.NoiseConfig{Microphone: true, MaxAttenuationDB: 20}, audio.AGCConfig{Microphone: true, Speaker: true, TargetDBFS: -18, MaxGainDB: 12}, ""},
		{"attenuation", audio.NoiseConfig{MaxAttenuationDB: 40}, audio.AGCConfig{}, "noise_suppression.max_attenuation_db"},
		{"target", audio.NoiseConfig{}, audio.AGCConfig{TargetDBFS: -3}, "agc.target_dbfs"},
		{"gain", audio.NoiseConfig{}, audio.AGCConfig{MaxGainDB: -1}, "agc.max_gain_db"},
	} {
		c := audio.DefaultConfig()
		c.NoiseSuppression, c.AGC = tc.ns, tc.agc
		err := c.Validate()
		var l cfgerr.List
		switch {
		case tc.path == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.path != "" && (!errors.As(err, &l) || len(l) != 1 || l[0].Path != tc.path):
			t.Errorf("%s: got %v, want one error at %q", tc.name, err, tc.path)
		}
	}
}
