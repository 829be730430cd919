package audio_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

// TestSectionConfigs validates the audio configuration's optional
// sections (self test, mixer, noise suppression and AGC), each case set
// on top of the defaults: a good one passes, a bad one is refused with
// exactly one error at its field's path.
func TestSectionConfigs(t *testing.T) {
	t.Parallel()
	ok := audio.MixerSetting{Name: "Speaker Playback Volume", Value: "80%"}
	selfTest := func(st audio.SelfTestConfig) func(*audio.Config) {
		return func(c *audio.Config) { c.SelfTest = st }
	}
	mixer := func(m audio.MixerConfig) func(*audio.Config) {
		return func(c *audio.Config) { c.Mixer = m }
	}
	cleanup := func(ns audio.NoiseConfig, agc audio.AGCConfig) func(*audio.Config) {
		return func(c *audio.Config) { c.NoiseSuppression, c.AGC = ns, agc }
	}
	for _, tc := range []struct {
		name string
		set  func(*audio.Config)
		path string // "" when valid
	}{
		{"self test off", selfTest(audio.SelfTestConfig{}), ""},
		{"self test daily", selfTest(audio.SelfTestConfig{Interval: 24 * time.Hour, MinLevelDB: -50}), ""},
		{"self test too often", selfTest(audio.SelfTestConfig{Interval: time.Second}), "self_test.interval"},
		{"self test too rare", selfTest(audio.SelfTestConfig{Interval: 1000 * time.Hour}), "self_test.interval"},
		{"self test level too low", selfTest(audio.SelfTestConfig{MinLevelDB: -100}), "self_test.min_level_db"},
		{"self test level positive", selfTest(audio.SelfTestConfig{MinLevelDB: 3}), "self_test.min_level_db"},
		{"self test level NaN", selfTest(audio.SelfTestConfig{MinLevelDB: math.NaN()}), "self_test.min_level_db"},

		{"mixer none", mixer(audio.MixerConfig{}), ""},
		{"mixer wm8960", mixer(audio.MixerConfig{Card: "hw:CARD=wm8960soundcard", Controls: []audio.MixerSetting{ok, {Name: "Capture Switch", Value: "on"}}}), ""},
		{"mixer bad card", mixer(audio.MixerConfig{Card: "default"}), "mixer.card"},
		{"mixer no name", mixer(audio.MixerConfig{Controls: []audio.MixerSetting{ok, {Value: "1"}}}), "mixer.controls[1].name"},
		{"mixer no value", mixer(audio.MixerConfig{Controls: []audio.MixerSetting{{Name: "Capture Volume"}}}), "mixer.controls[0].value"},
		{"mixer too many", mixer(audio.MixerConfig{Controls: make([]audio.MixerSetting, 33)}), "mixer.controls"},

		{"cleanup off", cleanup(audio.NoiseConfig{}, audio.AGCConfig{}), ""},
		{"cleanup on", cleanup(audio.NoiseConfig{Microphone: true, MaxAttenuationDB: 20}, audio.AGCConfig{Microphone: true, Speaker: true, TargetDBFS: -18, MaxGainDB: 12}), ""},
		{"cleanup attenuation", cleanup(audio.NoiseConfig{MaxAttenuationDB: 40}, audio.AGCConfig{}), "noise_suppression.max_attenuation_db"},
		{"cleanup target", cleanup(audio.NoiseConfig{}, audio.AGCConfig{TargetDBFS: -3}), "agc.target_dbfs"},
		{"cleanup gain", cleanup(audio.NoiseConfig{}, audio.AGCConfig{MaxGainDB: -1}), "agc.max_gain_db"},
	} {
		c := audio.DefaultConfig()
		tc.set(&c)
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
