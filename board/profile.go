package board

import "sort"

// AudioDevices names the ALSA PCM devices a profile's sound hardware uses.
// An empty name means the board has no such device (the sim board: audio
// then comes from memory or WAV files).
type AudioDevices struct {
	// Capture is the ALSA capture device, "hw:<card>,<device>" with the
	// card by number or id (e.g. "hw:1,0", "hw:CARD=wm8960soundcard,DEV=0"),
	// or a capture node /dev/snd/pcmC<card>D<device>c. alsa-lib names
	// (plughw, default, dmix) are not available: sipbell opens the card
	// itself and converts rate and channels on its own. Empty means the
	// profile's sound card; audio.capture, when set to anything but
	// "silence", is used instead.
	Capture string `yaml:"capture"`
	// Playback is the ALSA playback device, named as Capture (a node ends
	// in p: /dev/snd/pcmC1D0p). Empty means the profile's sound card;
	// audio.playback, when set to anything but "discard", is used instead.
	Playback string `yaml:"playback"`
}

// profile is one built-in board description.
type profile struct {
	pins  Pins
	audio AudioDevices
	// spi is the SPI port of an APA102 LED chain ("" when none) and
	// apa102 the number of LEDs on it.
	spi    string
	apa102 int
	// sim marks the simulated board.
	sim bool
	// reserved names header pins the profile's hardware occupies, and by what.
	reserved map[string]string
}

func pc(pin, active, pull string) PinConfig {
	return PinConfig{Pin: pin, Active: active, Pull: pull}
}

func ptr(p PinConfig) *PinConfig { return &p }

// profiles returns the built-in profiles. It builds them anew on each call
// so that no caller can change another's copy.
func profiles() map[string]profile {
	// Bare header wiring, chosen to stay clear of I2C (GPIO2/3), SPI0
	// (GPIO7-11), UART (GPIO14/15) and I2S/PCM (GPIO18-21), so that an
	// I2S sound HAT can be added: buttons switch to ground (pull-up, active
	// low), LEDs and relay/ringer drivers are active high, the door contact
	// is a reed switch to ground that opens with the door (high = open).
	rpi := Pins{
		CallButtons: []PinConfig{pc("GPIO17", "low", "up")},
		StatusLED:   ptr(pc("GPIO27", "high", "none")),
		CallLED:     ptr(pc("GPIO22", "high", "none")),
		DoorRelays:  []PinConfig{pc("GPIO23", "high", "none")},
		DoorContact: ptr(pc("GPIO24", "high", "up")),
		HookSwitch:  ptr(pc("GPIO25", "low", "up")),
		Ringer:      ptr(pc("GPIO5", "high", "none")),
	}
	sim := rpi
	sim.CallButtons = []PinConfig{pc("GPIO17", "low", "up"), pc("GPIO6", "low", "up"), pc("GPIO13", "low", "up")}
	// A second relay (a gate) for door.relays and access codes.
	sim.DoorRelays = []PinConfig{pc("GPIO23", "high", "none"), pc("GPIO4", "high", "none")}
	sim.Tamper = ptr(pc("GPIO18", "high", "up"))
	sim.DNDSwitch = ptr(pc("GPIO7", "low", "up"))
	// The sim board has every analog-phone role too: a rotary dial, a
	// SLIC's RM and F/R and an H-bridge bell beside the ringer relay.
	sim.DialPulse = ptr(pc("GPIO19", "high", "up"))
	sim.DialOffNormal = ptr(pc("GPIO26", "low", "up"))
	sim.RingMode = ptr(pc("GPIO12", "high", "none"))
	sim.ForwardReverse = ptr(pc("GPIO16", "high", "none"))
	sim.BellA = ptr(pc("GPIO20", "high", "none"))
	sim.BellB = ptr(pc("GPIO21", "high", "none"))
	return map[string]profile{
		"sim": {pins: sim, sim: true},
		// A Silvertel Ag1171 (or KS0835F-style) SLIC module: SHK is high
		// while off hook (pulled down so an unplugged module reads on
		// hook), RM high rings, F/R toggles the line polarity. The audio
		// goes through a USB card or HAT named in board.audio.
		"slic": {pins: Pins{
			StatusLED:      ptr(pc("GPIO27", "high", "none")),
			HookSwitch:     ptr(pc("GPIO25", "high", "down")),
			RingMode:       ptr(pc("GPIO5", "high", "none")),
			ForwardReverse: ptr(pc("GPIO6", "high", "none")),
		}},
		// A rotary phone wired straight to the header: hook switch and
		// the dial's contacts to GND (pull-ups; the pulse contact is
		// closed at rest, so a break reads high), the bell through an
		// H-bridge driven in antiphase. The handset goes to a USB card.
		"rotary": {pins: Pins{
			StatusLED:     ptr(pc("GPIO27", "high", "none")),
			HookSwitch:    ptr(pc("GPIO25", "low", "up")),
			DialPulse:     ptr(pc("GPIO24", "high", "up")),
			DialOffNormal: ptr(pc("GPIO23", "low", "up")),
			BellA:         ptr(pc("GPIO5", "high", "none")),
			BellB:         ptr(pc("GPIO6", "high", "none")),
		}},
		// A bare header has no microphone: audio comes from a USB card or
		// HAT named in board.audio (silence and discard until then).
		"rpi": {pins: rpi},
		// Seeed ReSpeaker 2-Mics Pi HAT: user button on GPIO17, three
		// APA102 LEDs on SPI0.0, WM8960 codec (card "wm8960soundcard" with
		// the stock wm8960-soundcard overlay that sipbell-audio-hat
		// installs), relay and door contact on the HAT's Grove
		// GPIO12/GPIO13 connector.
		"respeaker-2mic": {
			pins: Pins{
				CallButtons: []PinConfig{pc("GPIO17", "low", "up")},
				StatusLED:   ptr(PinConfig{Pin: "apa102:0", Color: "00ff00"}),
				CallLED:     ptr(PinConfig{Pin: "apa102:1", Color: "0000ff"}),
				DoorRelays:  []PinConfig{pc("GPIO12", "high", "none")},
				DoorContact: ptr(pc("GPIO13", "high", "up")),
			},
			audio: AudioDevices{
				Capture:  "hw:CARD=wm8960soundcard,DEV=0",
				Playback: "hw:CARD=wm8960soundcard,DEV=0",
			},
			spi:    "SPI0.0",
			apa102: 3,
			reserved: map[string]string{
				"GPIO2": "the WM8960's I2C", "GPIO3": "the WM8960's I2C",
				"GPIO8": "SPI0 (APA102 LEDs)", "GPIO10": "SPI0 (APA102 LEDs)", "GPIO11": "SPI0 (APA102 LEDs)",
				"GPIO18": "the WM8960's I2S", "GPIO19": "the WM8960's I2S", "GPIO20": "the WM8960's I2S", "GPIO21": "the WM8960's I2S",
			},
		},
	}
}

// Profiles lists the names of the built-in board profiles, sorted.
func Profiles() []string {
	var names []string
	for n := range profiles() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
