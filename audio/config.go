package audio

import (
	"slices"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/internal/alsaname"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Special device names in Config.
const (
	// DeviceSilence as the capture device is a microphone that hears
	// nothing, paced in real time (the simulated board).
	DeviceSilence = "silence"
	// DeviceDiscard as the playback device is a speaker nobody hears,
	// paced in real time (the simulated board).
	DeviceDiscard = "discard"
)

// NativeRates are the codec rates sipbell resamples from and to.
var NativeRates = []int{8000, 16000, 44100, 48000}

// Config is the audio section of the configuration file ("audio:").
type Config struct {
	// Capture is the microphone: an ALSA hardware name ("hw:1,0", the card
	// by id as in "hw:CARD=wm8960soundcard,DEV=0", or the node
	// /dev/snd/pcmC1D0c; alsa-lib names such as plughw or default are not
	// available: sipbell converts rate and channels itself), a WAV file
	// path ending in .wav (the simulated board plays it as if spoken into
	// the microphone), or "silence". Left at "silence", the board's
	// microphone (board.audio.capture, or the one its profile names) is
	// used; any other value here wins over the board's.
	Capture string `yaml:"capture"`
	// Playback is the speaker: an ALSA hardware name (as for Capture; a
	// node ends in p: /dev/snd/pcmC1D0p), a WAV file path
	// ending in .wav (the simulated board records what it would play), or
	// "discard". Left at "discard", the board's speaker (board.audio.playback,
	// or the one its profile names) is used; any other value here wins.
	Playback string `yaml:"playback"`
	// NativeRate is the rate, in Hz, to run the sound card at (8000,
	// 16000, 44100 or 48000); audio is resampled to and from 8 kHz. The
	// card may grant the nearest rate it has instead.
	NativeRate int `yaml:"native_rate"`
	// Period is the sound card's wake-up interval (10 ms steps, 10-100 ms).
	Period time.Duration `yaml:"period"`
	// Periods is the card's ring buffer length in periods (2-16).
	Periods int `yaml:"periods"`
	// ToneCountry selects the call-progress tones by country code: US, UK
	// (GB), DE, NL or FR.
	ToneCountry string `yaml:"tone_country"`
	// PlaybackGainDB and CaptureGainDB scale the speaker and microphone
	// signals, in dB (-40 to +20; 0 leaves them alone).
	PlaybackGainDB float64 `yaml:"playback_gain_db"`
	CaptureGainDB  float64 `yaml:"capture_gain_db"`
	// EchoCancel is the acoustic echo canceller between the speaker and
	// the microphone.
	EchoCancel EchoCancelConfig `yaml:"echo_cancel"`
	// SelfTest is the speaker and microphone self-test.
	SelfTest SelfTestConfig `yaml:"self_test"`
	// Mixer sets the sound card's volume, gain and switch controls.
	Mixer MixerConfig `yaml:"mixer"`
	// NoiseSuppression takes background noise out of speech, per direction.
	NoiseSuppression NoiseConfig `yaml:"noise_suppression"`
	// AGC brings speech to a steady level, per direction.
	AGC AGCConfig `yaml:"agc"`
}

// DefaultConfig returns a configuration for the simulated board, which
// has no sound card: a silent microphone and a discarding speaker, both
// paced in real time, US tones.
func DefaultConfig() Config {
	return Config{
		Capture:     DeviceSilence,
		Playback:    DeviceDiscard,
		NativeRate:  48000,
		Period:      20 * time.Millisecond,
		Periods:     4,
		ToneCountry: "US",
		EchoCancel:  DefaultEchoCancel(),
	}
}

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section.
func (c *Config) Validate() error {
	var errs cfgerr.List
	if msg := checkDevice(c.Capture, DeviceSilence, true); msg != "" {
		errs.Add("capture", "%s", msg)
	}
	if msg := checkDevice(c.Playback, DeviceDiscard, false); msg != "" {
		errs.Add("playback", "%s", msg)
	}
	if !slices.Contains(NativeRates, c.NativeRate) {
		errs.Add("native_rate", "%d Hz is not one of 8000, 16000, 44100, 48000", c.NativeRate)
	}
	if c.Period < 10*time.Millisecond || c.Period > 100*time.Millisecond || c.Period%(10*time.Millisecond) != 0 {
		errs.Add("period", "%v: must be 10ms to 100ms in steps of 10ms", c.Period)
	}
	if c.Periods < 2 || c.Periods > 16 {
		errs.Add("periods", "%d: must be 2 to 16", c.Periods)
	}
	if _, err := tone.Lookup(c.ToneCountry, tone.Dial); err != nil {
		errs.Add("tone_country", "%q: must be one of %s", c.ToneCountry, strings.Join(tone.Countries(), ", "))
	}
	for _, g := range []struct {
		path string
		v    float64
	}{{"playback_gain_db", c.PlaybackGainDB}, {"capture_gain_db", c.CaptureGainDB}} {
		if !(g.v >= -40 && g.v <= 20) { // also catches NaN
			errs.Add(g.path, "%g dB: must be -40 to +20", g.v)
		}
	}
	c.EchoCancel.validate(&errs)
	c.SelfTest.validate(&errs)
	c.Mixer.validate(&errs)
	c.NoiseSuppression.validate(&errs)
	c.AGC.validate(&errs)
	return errs.Err()
}

// checkDevice returns what is wrong with a device name, or "".
func checkDevice(name, special string, capture bool) string {
	switch {
	case name == special:
		return ""
	case name == "":
		return "must not be empty (use \"" + special + "\" for no device)"
	case strings.HasSuffix(strings.ToLower(name), ".wav"):
		return ""
	}
	if _, err := alsaname.Parse(name, capture); err != nil {
		if strings.ContainsAny(name, ":/") {
			return err.Error()
		}
		return err.Error() + "; or a .wav file, or \"" + special + "\""
	}
	return ""
}
