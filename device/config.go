package device

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/internal/localzone"
)

// Modes of the device.
const (
	ModeDoor = "door" // door station: buttons call, DTMF opens the door
	ModeATA  = "ata"  // analog telephone adapter: an analog phone on the board (device.phone)
)

// Ring orders of a button's targets.
const (
	OrderHunt     = "hunt"     // one target after the other, each for RingTimeout
	OrderParallel = "parallel" // all at once; the first to answer wins
)

// dtmfDigits are the digits RFC 4733 carries.
const dtmfDigits = "0123456789*#ABCD"

// Config is the device's section of the configuration file ("device:").
type Config struct {
	// Mode is "door" (the default: a door station, buttons call) or
	// "ata" (an analog telephone adapter: the phone on the board's hook
	// switch, dial and ringer, configured in phone).
	Mode string `yaml:"mode"`
	// TimeZone is the device's time zone, an IANA name such as
	// "Europe/Berlin" (from the system's zone database, Debian's tzdata;
	// the gokrazy image has it built in): the log's
	// timestamps, the times in message texts ({{.Time.Local}}), the
	// history on the web page and its JSON and CSV downloads read in it.
	// Empty: the system's zone (UTC on the gokrazy image). The door
	// codes' windows and device.dnd's schedule read in it too, unless
	// device.door.access.time_zone names another zone for them.
	TimeZone string `yaml:"time_zone,omitempty"`
	// Buttons configures the call buttons by index (buttons[0] is the
	// board's first call button). A button with no targets does nothing.
	Buttons []Button `yaml:"buttons"`
	// Call is what happens during a call.
	Call CallConfig `yaml:"call"`
	// Door is the door relay, its code and its contact.
	Door DoorConfig `yaml:"door"`
	// DND is the door station's do-not-disturb: while it is on, the
	// buttons ring nobody, or its fallback.
	DND DNDConfig `yaml:"dnd"`
	// AutoAnswer answers incoming calls at once (monitoring). It is the
	// one setting that decides (sip.auto_answer is ignored): of the calls
	// the user agent admitted (registrar/proxy, sip.allow_from,
	// sip.callers), those from a verified caller in device.door.allowed are answered,
	// or all when that list is empty; a caller not in a non-empty list is
	// refused at once (480). When off, calls ring until sip.ring_timeout.
	// A call arriving while a visitor call is on is rejected.
	AutoAnswer bool `yaml:"auto_answer"`
	// Prompts replace the tones the visitor hears with WAV files.
	Prompts Prompts `yaml:"prompts"`
	// Phone is the analog phone of mode ata.
	Phone PhoneConfig `yaml:"phone"`
}

// Button is what one call button calls.
type Button struct {
	// Targets are SIP URIs ("sip:1001@pbx.example") or users of the
	// registrar's domain ("1001").
	Targets []string `yaml:"targets"`
	// Order is "hunt" (one after the other; the default when empty) or
	// "parallel" (all at once).
	Order string `yaml:"order"`
	// RingTimeout is how long a target rings (hunt: each; parallel: all);
	// 0 means the default, 30s. sip.ring_timeout still bounds each call,
	// so the shorter of the two applies.
	RingTimeout time.Duration `yaml:"ring_timeout"`
}

// DefaultRingTimeout is a button's ring timeout when none is set.
const DefaultRingTimeout = 30 * time.Second

// withDefaults fills in the order and ring timeout left empty.
func (b Button) withDefaults() Button {
	if b.Order == "" {
		b.Order = OrderHunt
	}
	if b.RingTimeout == 0 {
		b.RingTimeout = DefaultRingTimeout
	}
	return b
}

// CallConfig limits and ends calls.
type CallConfig struct {
	// TimeLimit ends a connected visitor call after this long (0: no
	// limit); extend_key starts it again. sip.max_call_length bounds every
	// call as well, and the shorter of the two ends the call.
	TimeLimit time.Duration `yaml:"time_limit"`
	// WarningBefore plays a warning beep this long before the limit.
	WarningBefore time.Duration `yaml:"warning_before"`
	// ExtendKey is the DTMF key that restarts the time limit (empty:
	// none). It must not appear in the door code.
	ExtendKey string `yaml:"extend_key"`
	// EndOnButton ends a ringing or connected call when the visitor
	// presses the button again.
	EndOnButton bool `yaml:"end_on_button"`
}

// DoorConfig is the door relay, who may open it and how.
type DoorConfig struct {
	// Code is the DTMF code that opens the door ("#", "1234#"; empty:
	// DTMF never opens).
	Code string `yaml:"code"`
	// InterDigitTimeout forgets a partly entered code after this pause.
	InterDigitTimeout time.Duration `yaml:"inter_digit_timeout"`
	// RelayPulse is how long the relay stays on.
	RelayPulse time.Duration `yaml:"relay_pulse"`
	// HangupAfterOpen ends the call this long after the door opened (0:
	// the call goes on).
	HangupAfterOpen time.Duration `yaml:"hangup_after_open"`
	// LeftOpenAlarm raises a "door left open" event when the door contact
	// stays open this long (0: never).
	LeftOpenAlarm time.Duration `yaml:"left_open_alarm"`
	// Allowed lists who may open the door when they call in (DTMF, SIP
	// INFO) or send a MESSAGE "open", and (when not empty) the only callers
	// answered. It is matched against the caller's verified identity,
	// never the From header: the URI the registrar/proxy asserts
	// (P-Asserted-Identity), or a sip.callers user. Entries are SIP URIs
	// ("sip:alice@pbx.example"), user@host, or users ("alice": that user at
	// any host of the proxy, or the sip.callers user alice).
	Allowed []string `yaml:"allowed"`
	// TargetsMayOpen lets the parties a button called open the door too.
	TargetsMayOpen bool `yaml:"targets_may_open"`
	// Relays are the door relays after the first (relay 2 is relays[0]),
	// such as a gate: each has its own pulse and is opened by the
	// access users' codes that name it. The first relay is the one
	// code, allowed callers, the API and MQTT open.
	Relays []RelayConfig `yaml:"relays"`
	// TamperBlock keeps every relay shut for this long after the tamper
	// switch reports the housing opened (0: the alarm only raises the
	// tamper event).
	TamperBlock time.Duration `yaml:"tamper_block"`
	// Access gives people codes of their own (stored hashed), with
	// validity periods, weekly windows and a lock-out.
	Access AccessConfig `yaml:"access"`
	// Monitor answers a second call while a visitor call is on when its
	// caller is verified and in Allowed (to listen at the door); it raises
	// sip.max_calls to 2. Off: a call during a visitor call is rejected.
	Monitor bool `yaml:"monitor"`
}

// RelayConfig is one more door relay (see DoorConfig.Relays).
type RelayConfig struct {
	// Name says what the relay opens ("gate"), for the log and history.
	Name string `yaml:"name"`
	// Pulse is how long the relay stays on; 0 means door.relay_pulse.
	Pulse time.Duration `yaml:"pulse"`
}

// maxRelays bounds door.relays.
const maxRelays = 7

// pulse is relay i's (0-based) pulse.
func (d DoorConfig) pulse(i int) time.Duration {
	if i > 0 && i <= len(d.Relays) && d.Relays[i-1].Pulse > 0 {
		return d.Relays[i-1].Pulse
	}
	return d.RelayPulse
}

// DefaultConfig returns a door station with one button (no targets until
// configured), a 3 minute call limit with a warning 20 s before, "*" to
// extend, "#" to open the door with a 3 s relay pulse, and a 2 minute
// door-left-open alarm.
func DefaultConfig() Config {
	return Config{
		Mode:    ModeDoor,
		Buttons: []Button{DefaultButton()},
		Call: CallConfig{TimeLimit: 3 * time.Minute, WarningBefore: 20 * time.Second,
			ExtendKey: "*", EndOnButton: true},
		Door: DoorConfig{Code: "#", InterDigitTimeout: 3 * time.Second, RelayPulse: 3 * time.Second,
			LeftOpenAlarm: 2 * time.Minute, TargetsMayOpen: true,
			Access: AccessConfig{MaxFailures: DefaultMaxFailures, Lockout: DefaultLockout}},
		AutoAnswer: true,
	}
}

// DefaultButton is a button ringing its targets one after the other, 30 s
// each.
func DefaultButton() Button {
	return Button{Order: OrderHunt, RingTimeout: DefaultRingTimeout}
}

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section (e.g. "buttons[0].targets[1]").
func (c *Config) Validate() error {
	var errs cfgerr.List
	switch c.Mode {
	case ModeDoor:
	case ModeATA:
	default:
		errs.Add("mode", "must be door or ata, not %q", c.Mode)
	}
	if _, err := localzone.Load(c.TimeZone); err != nil {
		errs.Add("time_zone", "%v", err)
	}
	errs.Merge("phone", c.Phone.Validate())
	for i, b := range c.Buttons {
		errs.Merge(cfgerr.Index("buttons", i), b.validate())
	}
	errs.Merge("call", c.Call.validate())
	errs.Merge("door", c.Door.validate())
	errs.Merge("dnd", c.DND.validate())
	for _, p := range []struct{ path, file string }{{"no_answer", c.Prompts.NoAnswer},
		{"busy", c.Prompts.Busy}, {"door_opened", c.Prompts.DoorOpened}} {
		if p.file != "" && (!filepath.IsAbs(p.file) || !strings.EqualFold(filepath.Ext(p.file), ".wav")) {
			errs.Add("prompts."+p.path, "must be the absolute path of a .wav file, not %q", p.file)
		}
	}
	if k := c.Call.ExtendKey; k != "" && strings.Contains(c.Door.Code, k) {
		errs.Add("call.extend_key", "%q is part of door.code %q: pick a key the code does not use", k, c.Door.Code)
	}
	return errs.Err()
}

func (b Button) validate() error {
	var errs cfgerr.List
	for i, t := range b.Targets {
		if msg := checkParty(t); msg != "" {
			errs.Add(cfgerr.Index("targets", i), "%s", msg)
		}
	}
	if b.Order != "" && b.Order != OrderHunt && b.Order != OrderParallel {
		errs.Add("order", "must be hunt or parallel, not %q", b.Order)
	}
	if b.RingTimeout != 0 {
		checkRange(&errs, "ring_timeout", b.RingTimeout, 5*time.Second, 10*time.Minute, false)
	}
	return errs.Err()
}

func (c CallConfig) validate() error {
	var errs cfgerr.List
	checkRange(&errs, "time_limit", c.TimeLimit, 10*time.Second, 24*time.Hour, true)
	if c.WarningBefore < 0 || (c.TimeLimit > 0 && c.WarningBefore >= c.TimeLimit) {
		errs.Add("warning_before", "must be at least 0 and shorter than time_limit (%v), not %v", c.TimeLimit, c.WarningBefore)
	}
	if k := c.ExtendKey; k != "" && (len(k) != 1 || !strings.Contains(dtmfDigits, k)) {
		errs.Add("extend_key", "must be one DTMF key (0-9, *, #, A-D) or empty, not %q", k)
	}
	return errs.Err()
}

func (d DoorConfig) validate() error {
	var errs cfgerr.List
	if len(d.Code) > 16 {
		errs.Add("code", "must be at most 16 keys long")
	}
	for _, r := range d.Code {
		if !strings.ContainsRune(dtmfDigits, r) {
			errs.Add("code", "%q is not a DTMF key (0-9, *, #, A-D)", r)
			break
		}
	}
	checkRange(&errs, "inter_digit_timeout", d.InterDigitTimeout, time.Second, 30*time.Second, false)
	checkRange(&errs, "relay_pulse", d.RelayPulse, 100*time.Millisecond, time.Minute, false)
	checkRange(&errs, "hangup_after_open", d.HangupAfterOpen, time.Second, 10*time.Minute, true)
	checkRange(&errs, "left_open_alarm", d.LeftOpenAlarm, 5*time.Second, 24*time.Hour, true)
	for i, a := range d.Allowed {
		if msg := checkParty(a); msg != "" {
			errs.Add(cfgerr.Index("allowed", i), "%s", msg)
		}
	}
	if len(d.Relays) > maxRelays {
		errs.Add("relays", "at most %d relays after the first, not %d", maxRelays, len(d.Relays))
	}
	for i, r := range d.Relays {
		checkRange(&errs, cfgerr.Index("relays", i)+".pulse", r.Pulse, 100*time.Millisecond, time.Minute, true)
	}
	checkRange(&errs, "tamper_block", d.TamperBlock, time.Second, 24*time.Hour, true)
	errs.Merge("access", d.Access.validate(1+len(d.Relays)))
	return errs.Err()
}

// checkRange adds an error unless lo <= d <= hi (or d == 0 when zeroOK).
func checkRange(errs *cfgerr.List, path string, d, lo, hi time.Duration, zeroOK bool) {
	if zeroOK && d == 0 {
		return
	}
	if d < lo || d > hi {
		if zeroOK {
			errs.Add(path, "must be 0 (off) or between %v and %v, not %v", lo, hi, d)
			return
		}
		errs.Add(path, "must be between %v and %v, not %v", lo, hi, d)
	}
}
