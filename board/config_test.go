package board

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // "path: message part"; empty: valid
	}{
		{"default", DefaultConfig(), nil},
		{"rpi", Config{Profile: "rpi"}, nil},
		{"respeaker", Config{Profile: "respeaker-2mic"}, nil},
		{"slic", Config{Profile: "slic"}, nil},
		{"rotary", Config{Profile: "rotary"}, nil},
		{"rotary with a ringer relay", Config{Profile: "rotary", Pins: Pins{Ringer: &PinConfig{Pin: "GPIO12"}, BellA: &PinConfig{Pin: "none"}, BellB: &PinConfig{Pin: "none"}}}, nil},
		{"slic without F/R", Config{Profile: "slic", Pins: Pins{ForwardReverse: &PinConfig{Pin: "none"}}},
			[]string{"pins.forward_reverse.pin: must be wired too: ring mode (RM) works only with forward/reverse (F/R)"}},
		{"half an H-bridge", Config{Profile: "rotary", Pins: Pins{BellA: &PinConfig{Pin: "none"}}},
			[]string{"pins.bell_a.pin: must be wired too: bell B works only with bell A"}},
		{"dial debounce too long", Config{Profile: "rotary", Pins: Pins{DialPulse: &PinConfig{Debounce: 2 * time.Second}}},
			[]string{"pins.dial_pulse.debounce: must be between"}},
		{"unknown profile", Config{Profile: "pi6"}, []string{"profile: unknown board profile \"pi6\""}},
		{"empty profile", Config{}, []string{"profile: unknown"}},
		{"bad pin name", Config{Profile: "sim", Pins: Pins{CallButtons: []PinConfig{{}, {Pin: "GPIO99"}}}},
			[]string{`pins.call_buttons[1].pin: unknown pin "GPIO99"`}},
		{"duplicate pin", Config{Profile: "rpi", Pins: Pins{StatusLED: &PinConfig{Pin: "GPIO17"}}},
			[]string{"pins.status_led.pin: GPIO17 is already used by pins.call_buttons[0]"}},
		{"extra button inherits defaults", Config{Profile: "rpi", Pins: Pins{CallButtons: []PinConfig{{}, {Pin: "GPIO6"}}}}, nil},
		{"extra button without pin", Config{Profile: "rpi", Pins: Pins{CallButtons: []PinConfig{{}, {Active: "low"}}}},
			[]string{"pins.call_buttons[1].pin: must be set"}},
		{"none frees a pin", Config{Profile: "rpi", Pins: Pins{Ringer: &PinConfig{Pin: "none"}, StatusLED: &PinConfig{Pin: "GPIO5"}}}, nil},
		{"bad active and pull", Config{Profile: "sim", Pins: Pins{HookSwitch: &PinConfig{Active: "hi", Pull: "sideways"}}},
			[]string{"pins.hook_switch.active: must be high or low", "pins.hook_switch.pull: must be up, down or none"}},
		{"debounce on output", Config{Profile: "sim", Pins: Pins{CallLED: &PinConfig{Debounce: time.Millisecond}}},
			[]string{"pins.call_led.debounce: only inputs"}},
		{"debounce too long", Config{Profile: "sim", Pins: Pins{DoorContact: &PinConfig{Debounce: 2 * time.Second}}},
			[]string{"pins.door_contact.debounce: must be between"}},
		{"long press shorter than debounce", Config{Profile: "sim", Pins: Pins{CallButtons: []PinConfig{{Debounce: 100 * time.Millisecond, LongPress: 50 * time.Millisecond}}}},
			[]string{"pins.call_buttons[0].long_press: must be longer than debounce"}},
		{"long press on hook", Config{Profile: "sim", Pins: Pins{HookSwitch: &PinConfig{LongPress: time.Second}}},
			[]string{"pins.hook_switch.long_press: only call buttons"}},
		{"apa102 on bare pi", Config{Profile: "rpi", Pins: Pins{StatusLED: &PinConfig{Pin: "apa102:0"}}},
			[]string{"pins.status_led.pin: apa102:0: this profile has no APA102 LEDs"}},
		{"apa102 index", Config{Profile: "respeaker-2mic", Pins: Pins{CallLED: &PinConfig{Pin: "apa102:3"}}},
			[]string{"pins.call_led.pin: apa102:3: LED index must be 0..2"}},
		{"apa102 relay", Config{Profile: "respeaker-2mic", Pins: Pins{DoorRelays: []PinConfig{{Pin: "apa102:2"}}}},
			[]string{"pins.door_relays[0].pin: apa102:2: an APA102 LED can only be"}},
		{"pin taken by the HAT", Config{Profile: "respeaker-2mic", Pins: Pins{DoorRelays: []PinConfig{{Pin: "GPIO10"}}}},
			[]string{"pins.door_relays[0].pin: GPIO10 is already used by SPI0 (APA102 LEDs)"}},
		{"bad colour", Config{Profile: "respeaker-2mic", Pins: Pins{CallLED: &PinConfig{Color: "blue"}}},
			[]string{"pins.call_led.color: must be six hex digits"}},
		{"colour on gpio", Config{Profile: "rpi", Pins: Pins{CallLED: &PinConfig{Color: "0000ff"}}},
			[]string{"pins.call_led.color: only APA102 LEDs"}},
		{"alsa devices", Config{Profile: "rpi", Audio: AudioDevices{Capture: "hw:CARD=Device,DEV=0", Playback: "/dev/snd/pcmC1D0p"}}, nil},
		// What the ALSA layer cannot open is refused here, as it is in
		// audio.capture/playback (one shared check).
		{"plughw", Config{Profile: "rpi", Audio: AudioDevices{Playback: "plughw:1,0"}},
			[]string{`audio.playback: "plughw:1,0": not an ALSA device sipbell can open: plughw is an alsa-lib plugin`}},
		{"alsa-lib name and wrong node", Config{Profile: "rpi", Audio: AudioDevices{Capture: "default", Playback: "/dev/snd/pcmC0D0c"}},
			[]string{`audio.capture: "default": not an ALSA device`, `audio.playback: "/dev/snd/pcmC0D0c": not an ALSA device sipbell can open: this is a capture node`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var l cfgerr.List
			if !errors.As(err, &l) {
				t.Fatalf("Validate = %v, want a cfgerr.List", err)
			}
			if len(l) != len(tc.want) {
				t.Fatalf("Validate = %d errors:\n%v\nwant %q", len(l), err, tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(l[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, l[i].Error(), w)
				}
			}
		})
	}
}

func TestAudioDevices(t *testing.T) {
	t.Parallel()
	c := Config{Profile: "respeaker-2mic", Audio: AudioDevices{Playback: "hw:1,0"}}
	got := c.AudioDevices()
	if got.Capture != "hw:CARD=wm8960soundcard,DEV=0" || got.Playback != "hw:1,0" {
		t.Errorf("AudioDevices = %+v", got)
	}
	if d := DefaultConfig(); d.AudioDevices() != (AudioDevices{}) {
		t.Errorf("sim AudioDevices = %+v, want none", d.AudioDevices())
	}
}

func TestOpenRealBoardWithoutGPIO(t *testing.T) {
	t.Parallel()
	if chips, _ := filepath.Glob("/dev/gpiochip*"); len(chips) > 0 {
		t.Skipf("this machine has GPIO chips %v: the no-GPIO error is not testable here", chips)
	}
	_, err := Open(Config{Profile: "rpi"}, discard())
	if !errors.Is(err, ErrNoGPIO) {
		t.Fatalf("Open(rpi) without GPIO = %v, want ErrNoGPIO", err)
	}
	t.Log(err)
}

func TestWired(t *testing.T) {
	t.Parallel()
	none := PinConfig{Pin: "none"}
	for _, tc := range []struct {
		cfg   Config
		role  Role
		index int
		want  bool
	}{
		{DefaultConfig(), CallButton, 2, true},
		{DefaultConfig(), CallButton, 3, false},
		{Config{Profile: "rpi"}, CallButton, 1, false},
		{Config{Profile: "rpi", Pins: Pins{CallButtons: []PinConfig{{}, {Pin: "GPIO6"}}}}, CallButton, 1, true},
		{Config{Profile: "sim", Pins: Pins{CallButtons: []PinConfig{{}, none}}}, CallButton, 1, false},
		{Config{Profile: "sim", Pins: Pins{CallButtons: []PinConfig{{}, none}}}, CallButton, 2, true},
		{Config{Profile: "respeaker-2mic"}, DoorRelay, 0, true},
		{Config{Profile: "rpi", Pins: Pins{DoorRelays: []PinConfig{none}}}, DoorRelay, 0, false},
		{Config{Profile: "respeaker-2mic"}, Ringer, 0, false},
		{Config{Profile: "nonesuch"}, CallButton, 5, true}, // Validate reports the profile
	} {
		if got := tc.cfg.Wired(tc.role, tc.index); got != tc.want {
			t.Errorf("%+v: Wired(%s, %d) = %t, want %t", tc.cfg, tc.role, tc.index, got, tc.want)
		}
	}
}
