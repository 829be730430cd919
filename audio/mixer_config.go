package audio

import (
	"github.com/sipbell/sipbell/internal/alsaname"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

// MixerConfig is the sound card's mixer ("audio.mixer:"): the speaker's
// volume, the microphone's gain and the codec's switches, set through the
// card's ALSA mixer controls when sipbell starts and at each configuration
// change. For a WM8960 HAT, for example: "Speaker Playback Volume" (the
// speaker's level), "Capture Volume" (the microphone's gain), "Left Input
// Boost Mixer LINPUT1 Volume", "Capture Switch".
type MixerConfig struct {
	// Card is the sound card whose controls are set, named as a playback
	// device is ("hw:0", "hw:CARD=wm8960soundcard"); empty: the card of
	// the speaker (audio.playback or the board's), when that is a sound
	// card.
	Card string `yaml:"card"`
	// Controls are set in this order (at most 32).
	Controls []MixerSetting `yaml:"controls"`
}

// MixerSetting is one control's value.
type MixerSetting struct {
	// Name is the control's name as "amixer controls" lists it, e.g.
	// "Speaker Playback Volume".
	Name string `yaml:"name"`
	// Index tells controls of one name apart (0: the first).
	Index uint32 `yaml:"index"`
	// Value is "75%" of the control's range, a number in its range, on
	// or off for a switch, or one of an enumerated control's items.
	Value string `yaml:"value"`
}

// maxMixerControls bounds audio.mixer.controls.
const maxMixerControls = 32

// validate adds what is wrong with c to errs under mixer.
func (c MixerConfig) validate(errs *cfgerr.List) {
	if c.Card != "" {
		if _, err := alsaname.Parse(c.Card, false); err != nil {
			errs.Add("mixer.card", "%v", err)
		}
	}
	if len(c.Controls) > maxMixerControls {
		errs.Add("mixer.controls", "%d controls: at most %d", len(c.Controls), maxMixerControls)
		return
	}
	for i, s := range c.Controls {
		if s.Name == "" || len(s.Name) > 43 {
			errs.Add(cfgerr.Index("mixer.controls", i)+".name", "%q: must be a control's name (1 to 43 characters)", s.Name)
		}
		if s.Value == "" || len(s.Value) > 64 {
			errs.Add(cfgerr.Index("mixer.controls", i)+".value", "must be a percentage, a number, on/off or an item's name")
		}
	}
}
