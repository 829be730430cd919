package board

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/alsaname"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the board's section of the configuration file ("board:").
type Config struct {
	// Profile names the built-in board: "sim" (simulated, the default),
	// "rpi" (bare Raspberry Pi header), "respeaker-2mic", "slic" (an analog
	// phone on a Silvertel Ag1171-style SLIC module) or "rotary" (a rotary
	// phone's hook, dial and bell wired to the header). Each profile's
	// pins are in the tables of the README's Wiring section
	// ([README.md#wiring](../README.md#wiring)).
	Profile string `yaml:"profile"`
	// Pins overrides the profile's pin for any role, field by field.
	Pins Pins `yaml:"pins"`
	// Audio overrides the profile's ALSA device names (used while
	// audio.capture and audio.playback are left at silence and discard).
	Audio AudioDevices `yaml:"audio"`
	// Keypad is the input event device of a USB numeric keypad at the
	// door ("/dev/input/by-id/usb-...-event-kbd"; empty: none), on which
	// visitors key device.door.access codes: digits, * and Enter (#).
	// Plugged into any USB port, it needs no wiring; the sim board's
	// terminal keys it with k (k1234#).
	Keypad string `yaml:"keypad"`
	// MatrixKeypad is a 3×4 matrix keypad wired to the header (unset:
	// none), for the same codes as Keypad. On the sim board the terminal's
	// k (k1234#) keys it through the real scanner.
	MatrixKeypad *MatrixKeypad `yaml:"matrix_keypad"`
}

// Pins assigns a pin to each role. A nil or empty entry keeps the
// profile's assignment; set Pin to "none" to leave a role unwired. For the
// list roles, entry i overrides the profile's entry i, and extra entries
// add pins (a panel for several flats has one call button per flat).
type Pins struct {
	// CallButtons are the visitor's buttons, one per flat on a panel.
	CallButtons []PinConfig `yaml:"call_buttons"`
	// StatusLED shows registration: on, slow blink, double blink on error.
	StatusLED *PinConfig `yaml:"status_led"`
	// CallLED shows a call: fast blink while ringing, on while connected.
	CallLED *PinConfig `yaml:"call_led"`
	// DoorRelays drive the door openers (the first is the main door).
	DoorRelays []PinConfig `yaml:"door_relays"`
	// DoorContact reads whether the door is open (a reed switch).
	DoorContact *PinConfig `yaml:"door_contact"`
	// HookSwitch reads an analog phone's hook (ATA mode).
	HookSwitch *PinConfig `yaml:"hook_switch"`
	// Ringer drives an analog phone's ringer or a bell (ATA mode): a
	// ringer relay or driver that rings by itself while the pin is active.
	Ringer *PinConfig `yaml:"ringer"`
	// DialPulse reads a rotary dial's pulse contact (ATA mode): closed at
	// rest, open for each pulse; active is the level of a break (open).
	DialPulse *PinConfig `yaml:"dial_pulse"`
	// DialOffNormal reads a rotary dial's off-normal contact (ATA mode):
	// active while the dial is turned away from rest.
	DialOffNormal *PinConfig `yaml:"dial_off_normal"`
	// RingMode drives a SLIC's ring-mode input (RM on a Silvertel Ag1171):
	// active while ringing. Needs ForwardReverse.
	RingMode *PinConfig `yaml:"ring_mode"`
	// ForwardReverse drives a SLIC's line polarity input (F/R on an
	// Ag1171): toggled at the ring frequency while ringing, active for a
	// reversed line otherwise. Needs RingMode.
	ForwardReverse *PinConfig `yaml:"forward_reverse"`
	// BellA and BellB drive the two inputs of an H-bridge whose outputs
	// ring a phone's bell, in antiphase at the ring frequency (both or
	// neither).
	BellA *PinConfig `yaml:"bell_a"`
	// BellB is the H-bridge's second input (see BellA).
	BellB *PinConfig `yaml:"bell_b"`
	// Tamper reads a tamper switch: a microswitch held closed by the
	// housing's cover, between the pin and GND (pull-up: high = the
	// cover is off, the active level by default).
	Tamper *PinConfig `yaml:"tamper"`
	// DNDSwitch reads the door station's do-not-disturb switch: a toggle
	// switch between the pin and GND (pull-up: low = on).
	DNDSwitch *PinConfig `yaml:"dnd_switch"`
}

// PinConfig describes one role's pin. Empty fields inherit the profile's
// value, then the role's default.
type PinConfig struct {
	// Pin is a header GPIO name ("GPIO17", GPIO0..GPIO27), an LED of the
	// profile's APA102 chain ("apa102:0"), or "none".
	Pin string `yaml:"pin"`
	// Active is the level that means pressed / on / open: "high" or "low".
	Active string `yaml:"active"`
	// Pull is the input bias: "up", "down" or "none".
	Pull string `yaml:"pull"`
	// Debounce is how long an input must be stable before a change counts
	// (inputs only; default 30ms for buttons, 50ms for the door contact,
	// 5ms for the hook switch and the dial's off-normal contact, 3ms for
	// the dial's pulse contact: pulse dialling needs short ones).
	Debounce time.Duration `yaml:"debounce"`
	// LongPress is how long a button is held before a long-press event
	// (call buttons only; default 2s; it fires once per press).
	LongPress time.Duration `yaml:"long_press"`
	// Color is the RGB colour "rrggbb" of an APA102 LED (APA102 only).
	Color string `yaml:"color"`
}

// Role is what a pin is for.
type Role string

// The roles a board can have. Inputs: CallButton, DoorContact, HookSwitch,
// PulseContact, OffNormalContact. Outputs: StatusLED, CallLED, DoorRelay,
// Ringer, RingMode, ForwardReverse, BellA, BellB. LineReversal is no pin
// of its own: setting it drives ForwardReverse (see Board.Set), as setting
// Ringer also drives RingMode/ForwardReverse or BellA/BellB.
const (
	CallButton       Role = "call_button"
	StatusLED        Role = "status_led"
	CallLED          Role = "call_led"
	DoorRelay        Role = "door_relay"
	DoorContact      Role = "door_contact"
	HookSwitch       Role = "hook_switch"
	Ringer           Role = "ringer"
	PulseContact     Role = "dial_pulse"
	OffNormalContact Role = "dial_off_normal"
	RingMode         Role = "ring_mode"
	ForwardReverse   Role = "forward_reverse"
	BellA            Role = "bell_a"
	BellB            Role = "bell_b"
	LineReversal     Role = "line_reversal"
	Tamper           Role = "tamper"
	DNDSwitch        Role = "dnd_switch"
	// Keypad is no pin: the USB keypad of Config.Keypad (its events
	// are KeyPressed).
	Keypad Role = "keypad"
)

// IsInput reports whether the role is read (button, contact, hook, dial)
// rather than driven.
func (r Role) IsInput() bool {
	switch r {
	case CallButton, DoorContact, HookSwitch, PulseContact, OffNormalContact, Tamper, DNDSwitch:
		return true
	}
	return false
}

// Label is the role in words, e.g. "status LED".
func (r Role) Label() string {
	switch r {
	case StatusLED:
		return "status LED"
	case CallLED:
		return "call LED"
	case PulseContact:
		return "dial pulse contact"
	case OffNormalContact:
		return "dial off-normal contact"
	case RingMode:
		return "ring mode (RM)"
	case ForwardReverse:
		return "forward/reverse (F/R)"
	case BellA:
		return "bell A"
	case BellB:
		return "bell B"
	}
	return strings.ReplaceAll(string(r), "_", " ")
}

// DefaultConfig returns the simulated board, which needs no hardware.
func DefaultConfig() Config { return Config{Profile: "sim"} }

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section (e.g. "pins.call_buttons[1].pin").
func (c *Config) Validate() error {
	_, _, errs := c.resolve()
	for _, d := range []struct {
		path, name string
		capture    bool
	}{{"audio.capture", c.Audio.Capture, true}, {"audio.playback", c.Audio.Playback, false}} {
		if d.name == "" {
			continue
		}
		if _, err := alsaname.Parse(d.name, d.capture); err != nil {
			errs.Add(d.path, "%v", err)
		}
	}
	if c.Keypad != "" && !strings.HasPrefix(c.Keypad, "/") {
		errs.Add("keypad", "must be the absolute path of an input event device, not %q", c.Keypad)
	}
	return errs.Err()
}

// Wired reports whether the board has a pin for role/index (0-based) once
// the profile and the overrides are merged: false for a role the profile
// lacks, or one set to "none". An unknown profile reports true (Validate
// reports it).
func (c *Config) Wired(role Role, index int) bool {
	pins, _, errs := c.resolve()
	if len(errs) > 0 && pins == nil {
		return true
	}
	for _, rp := range pins {
		if rp.role == role && rp.idx == index {
			return true
		}
	}
	return false
}

// AudioDevices returns the profile's ALSA devices with the configured
// overrides applied (empty for the sim profile: use memory/WAV audio).
func (c *Config) AudioDevices() AudioDevices {
	a := profiles()[c.Profile].audio
	if c.Audio.Capture != "" {
		a.Capture = c.Audio.Capture
	}
	if c.Audio.Playback != "" {
		a.Playback = c.Audio.Playback
	}
	return a
}

// rolePin is one wired pin after merging defaults, profile and config.
type rolePin struct {
	role Role
	idx  int
	path string // config path, e.g. "pins.call_buttons[0]"
	cfg  PinConfig
}

func roleDefault(r Role) PinConfig {
	switch r {
	case CallButton:
		return PinConfig{Active: "low", Pull: "up", Debounce: 30 * time.Millisecond, LongPress: 2 * time.Second}
	case HookSwitch:
		// Short enough for pulse dialling by the hook (a make between
		// pulses can be 28 ms): the phone's pulse decoder filters the rest.
		return PinConfig{Active: "low", Pull: "up", Debounce: 5 * time.Millisecond}
	case PulseContact:
		return PinConfig{Active: "high", Pull: "up", Debounce: 3 * time.Millisecond}
	case OffNormalContact:
		return PinConfig{Active: "low", Pull: "up", Debounce: 5 * time.Millisecond}
	case DoorContact, Tamper:
		return PinConfig{Active: "high", Pull: "up", Debounce: 50 * time.Millisecond}
	case DNDSwitch:
		return PinConfig{Active: "low", Pull: "up", Debounce: 50 * time.Millisecond}
	}
	return PinConfig{Active: "high", Pull: "none"}
}

// merge returns base with every non-empty field of over applied.
func merge(base PinConfig, over *PinConfig) PinConfig {
	if over == nil {
		return base
	}
	if over.Pin != "" {
		base.Pin = over.Pin
	}
	if over.Active != "" {
		base.Active = over.Active
	}
	if over.Pull != "" {
		base.Pull = over.Pull
	}
	if over.Debounce != 0 {
		base.Debounce = over.Debounce
	}
	if over.LongPress != 0 {
		base.LongPress = over.LongPress
	}
	if over.Color != "" {
		base.Color = over.Color
	}
	return base
}

func mergeList(r Role, name string, prof, conf []PinConfig) []rolePin {
	n := max(len(prof), len(conf))
	out := make([]rolePin, 0, n)
	for i := range n {
		c := roleDefault(r)
		if i < len(prof) {
			c = merge(c, &prof[i])
		}
		if i < len(conf) {
			c = merge(c, &conf[i])
		}
		out = append(out, rolePin{role: r, idx: i, path: cfgerr.Index("pins."+name, i), cfg: c})
	}
	return out
}

func mergeOne(r Role, prof, conf *PinConfig) []rolePin {
	if prof == nil && conf == nil {
		return nil
	}
	c := merge(merge(roleDefault(r), prof), conf)
	return []rolePin{{role: r, path: "pins." + string(r), cfg: c}}
}

// resolve merges defaults, profile and overrides, and validates the result.
// Pins set to "none" are left out.
func (c *Config) resolve() ([]rolePin, profile, cfgerr.List) {
	var errs cfgerr.List
	prof, ok := profiles()[c.Profile]
	if !ok {
		errs.Add("profile", "unknown board profile %q (known: %s)", c.Profile, strings.Join(Profiles(), ", "))
		return nil, prof, errs
	}
	p, o := prof.pins, c.Pins
	var all []rolePin
	all = append(all, mergeList(CallButton, "call_buttons", p.CallButtons, o.CallButtons)...)
	all = append(all, mergeOne(StatusLED, p.StatusLED, o.StatusLED)...)
	all = append(all, mergeOne(CallLED, p.CallLED, o.CallLED)...)
	all = append(all, mergeList(DoorRelay, "door_relays", p.DoorRelays, o.DoorRelays)...)
	all = append(all, mergeOne(DoorContact, p.DoorContact, o.DoorContact)...)
	all = append(all, mergeOne(HookSwitch, p.HookSwitch, o.HookSwitch)...)
	all = append(all, mergeOne(Ringer, p.Ringer, o.Ringer)...)
	all = append(all, mergeOne(PulseContact, p.DialPulse, o.DialPulse)...)
	all = append(all, mergeOne(OffNormalContact, p.DialOffNormal, o.DialOffNormal)...)
	all = append(all, mergeOne(RingMode, p.RingMode, o.RingMode)...)
	all = append(all, mergeOne(ForwardReverse, p.ForwardReverse, o.ForwardReverse)...)
	all = append(all, mergeOne(BellA, p.BellA, o.BellA)...)
	all = append(all, mergeOne(BellB, p.BellB, o.BellB)...)
	all = append(all, mergeOne(Tamper, p.Tamper, o.Tamper)...)
	all = append(all, mergeOne(DNDSwitch, p.DNDSwitch, o.DNDSwitch)...)

	used := map[string]string{}
	for pin, what := range prof.reserved {
		used[pin] = what
	}
	var pins []rolePin
	for _, rp := range all {
		if rp.cfg.Pin == "none" {
			continue
		}
		validatePin(&errs, prof, rp)
		if prev, dup := used[rp.cfg.Pin]; dup && rp.cfg.Pin != "" {
			errs.Add(rp.path+".pin", "%s is already used by %s", rp.cfg.Pin, prev)
		}
		used[rp.cfg.Pin] = rp.path
		pins = append(pins, rp)
	}
	if c.MatrixKeypad != nil {
		c.MatrixKeypad.validate(&errs, used)
	}
	pairs(&errs, pins)
	return pins, prof, errs
}

// pairs reports a SLIC or H-bridge output wired without its partner.
func pairs(errs *cfgerr.List, pins []rolePin) {
	has := map[Role]bool{}
	for _, rp := range pins {
		has[rp.role] = true
	}
	for _, p := range [][2]Role{{RingMode, ForwardReverse}, {ForwardReverse, RingMode}, {BellA, BellB}, {BellB, BellA}} {
		if has[p[0]] && !has[p[1]] {
			errs.Add("pins."+string(p[1])+".pin", "must be wired too: %s works only with %s", p[0].Label(), p[1].Label())
		}
	}
}

var gpioName = regexp.MustCompile(`^GPIO([0-9]|1[0-9]|2[0-7])$`)

func validatePin(errs *cfgerr.List, prof profile, rp rolePin) {
	c, path := rp.cfg, rp.path
	apa := strings.HasPrefix(c.Pin, "apa102:")
	switch {
	case c.Pin == "":
		errs.Add(path+".pin", "must be set (a GPIO name such as GPIO17, or none)")
	case apa:
		n, err := strconv.Atoi(strings.TrimPrefix(c.Pin, "apa102:"))
		switch {
		case prof.apa102 == 0:
			errs.Add(path+".pin", "%s: this profile has no APA102 LEDs", c.Pin)
		case err != nil || n < 0 || n >= prof.apa102:
			errs.Add(path+".pin", "%s: LED index must be 0..%d", c.Pin, prof.apa102-1)
		case rp.role != StatusLED && rp.role != CallLED:
			errs.Add(path+".pin", "%s: an APA102 LED can only be a status or call LED", c.Pin)
		}
	case !gpioName.MatchString(c.Pin):
		errs.Add(path+".pin", "unknown pin %q (want GPIO0..GPIO27, apa102:N or none)", c.Pin)
	}
	if c.Active != "high" && c.Active != "low" {
		errs.Add(path+".active", "must be high or low, not %q", c.Active)
	}
	if c.Pull != "up" && c.Pull != "down" && c.Pull != "none" {
		errs.Add(path+".pull", "must be up, down or none, not %q", c.Pull)
	}
	validateTimes(errs, rp)
	if c.Color != "" {
		if b, err := hex.DecodeString(c.Color); err != nil || len(b) != 3 {
			errs.Add(path+".color", "must be six hex digits rrggbb, not %q", c.Color)
		} else if !apa {
			errs.Add(path+".color", "only APA102 LEDs have a colour")
		}
	}
}

func validateTimes(errs *cfgerr.List, rp rolePin) {
	c, path := rp.cfg, rp.path
	if !rp.role.IsInput() {
		if c.Debounce != 0 {
			errs.Add(path+".debounce", "only inputs are debounced")
		}
		if c.LongPress != 0 {
			errs.Add(path+".long_press", "only call buttons have a long press")
		}
		return
	}
	if c.Debounce <= 0 || c.Debounce > time.Second {
		errs.Add(path+".debounce", "must be between 1ms and 1s, not %v", c.Debounce)
	}
	switch {
	case rp.role != CallButton && c.LongPress != 0:
		errs.Add(path+".long_press", "only call buttons have a long press")
	case c.LongPress < 0 || c.LongPress > time.Minute:
		errs.Add(path+".long_press", "must be between 0 (off) and 1m, not %v", c.LongPress)
	case c.LongPress != 0 && c.LongPress <= c.Debounce:
		errs.Add(path+".long_press", "must be longer than debounce (%v)", c.Debounce)
	}
}

// String describes the pin for logs and the status page.
func (rp rolePin) String() string {
	if rp.role == CallButton || rp.role == DoorRelay {
		return fmt.Sprintf("%s %d (%s)", rp.role.Label(), rp.idx+1, rp.cfg.Pin)
	}
	return fmt.Sprintf("%s (%s)", rp.role.Label(), rp.cfg.Pin)
}
