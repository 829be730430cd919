package audio

import (
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Echo canceller modes (EchoCancelConfig.Mode).
const (
	EchoCancelAuto = "auto"
	EchoCancelOn   = "on"
	EchoCancelOff  = "off"
)

// EchoCancelConfig is the acoustic echo canceller's section
// ("audio.echo_cancel:"): it removes from the microphone what the speaker
// just played, so that the person called does not hear themself (on the
// analog phone: what the earpiece played, coming back from the line).
type EchoCancelConfig struct {
	// Mode is auto, on or off. Auto runs the canceller when the speaker and
	// the microphone are both sound cards; on runs it also between WAV
	// files (a recording and a file played as the microphone have no room
	// between them unless something outside sipbell joins them); off never.
	Mode string `yaml:"mode"`
	// Tail is the longest echo the canceller removes, from 32ms to 1s:
	// longer for a reverberant entrance, at more CPU. On the analog phone
	// (device.mode ata) the canceller is the line echo canceller, removing
	// the earpiece's sound (a 2-wire hybrid's echo) from the handset's
	// microphone, and the default tail is 64ms there (128ms written
	// out is taken as that default).
	Tail time.Duration `yaml:"tail"`
	// Delay is time between speaker and microphone that the sound card
	// does not report and that is added to what it does (0 to 500ms): an
	// amplifier with a buffer of its own. Sound cards report theirs; WAV
	// files report none.
	Delay time.Duration `yaml:"delay"`
}

// DefaultEchoCancel returns the echo canceller's defaults: auto, 128 ms
// tail.
func DefaultEchoCancel() EchoCancelConfig {
	return EchoCancelConfig{Mode: EchoCancelAuto, Tail: 128 * time.Millisecond}
}

// validate adds what is wrong with c to errs under echo_cancel.
func (c EchoCancelConfig) validate(errs *cfgerr.List) {
	switch c.Mode {
	case "", EchoCancelAuto, EchoCancelOn, EchoCancelOff:
	default:
		errs.Add("echo_cancel.mode", "%q: must be auto, on or off", c.Mode)
	}
	if c.Tail != 0 && (c.Tail < 32*time.Millisecond || c.Tail > time.Second) {
		errs.Add("echo_cancel.tail", "%v: must be 32ms to 1s", c.Tail)
	}
	if c.Delay < 0 || c.Delay > 500*time.Millisecond {
		errs.Add("echo_cancel.delay", "%v: must be 0 to 500ms", c.Delay)
	}
}

// Echo reports whether the echo canceller should run: on with both a
// speaker and a microphone, or auto (the default) with both sound cards.
func (c *Config) Echo() bool {
	both := c.Capture != DeviceSilence && c.Playback != DeviceDiscard
	switch c.EchoCancel.Mode {
	case EchoCancelOff:
		return false
	case EchoCancelOn:
		return both
	}
	return both && !isWAV(c.Capture) && !isWAV(c.Playback)
}

func isWAV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".wav") }

// TailOrDefault is Tail, or the default where it is left out.
func (c EchoCancelConfig) TailOrDefault() time.Duration {
	if c.Tail == 0 {
		return DefaultEchoCancel().Tail
	}
	return c.Tail
}
