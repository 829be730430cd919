package device

import (
	"fmt"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device/dialplan"
	"github.com/sipbell/sipbell/device/pulse"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Caller-ID standards of PhoneConfig.CallerID.
const (
	CallerIDBell202 = "bell202" // Bell 202 FSK, MDMF (North America)
	CallerIDV23     = "v23"     // ETSI V.23 FSK, MDMF, with a line reversal (Europe)
	CallerIDDTMF    = "dtmf"    // DTMF caller ID, A<number>C (Netherlands, Nordic countries)
	CallerIDOff     = "off"     // no caller ID
)

// PhoneConfig is the analog phone's (device.mode: ata) section
// ("device.phone:").
type PhoneConfig struct {
	// Country picks the tones (dial, stutter, ringback, busy, reorder,
	// howler), the ring cadence and frequency and the caller-ID standard:
	// US, UK (GB), DE, NL or FR. Empty: US.
	Country string `yaml:"country"`
	// DialPlan is the digit map, the inter-digit timers, speed dials,
	// hotline and warmline.
	DialPlan dialplan.Config `yaml:"dial_plan"`
	// Pulse is the rotary dial's (or hook switch's) pulse timing, the
	// hook-flash bounds (a break of flash_min..flash_max is a flash, a
	// longer one hangs up) and the pulse-to-digit mapping.
	Pulse pulse.Config `yaml:"pulse"`
	// CallerID is the caller-ID standard sent between the first and the
	// second ring: bell202, v23, dtmf or off. Empty: the country's (US
	// bell202, NL dtmf, others v23).
	CallerID string `yaml:"caller_id"`
	// RingCadence overrides the country's ring cadence: ring and pause
	// durations alternating, starting with a ring (e.g. [2s, 4s]).
	RingCadence []time.Duration `yaml:"ring_cadence"`
	// DistinctiveRings pick the ring cadence by the incoming call's
	// Alert-Info header (what a PBX sends for an internal call, a ring
	// group, a door): the first entry whose match is in the header
	// (case-insensitive) rings its cadence. Empty: the Bellcore ones of
	// GR-506, Bellcore-dr2 to Bellcore-dr4.
	DistinctiveRings []DistinctiveRing `yaml:"distinctive_rings"`
	// RingHz overrides the country's ringing frequency (15-60 Hz; 0: the
	// country's: 20 Hz US, 25 Hz UK/DE/NL, 50 Hz FR).
	RingHz int `yaml:"ring_hz"`
	// RingTimeout stops ringing an unanswered incoming call (the caller
	// is told 480); 0: ring until the caller gives up. sip.ring_timeout
	// ends every unanswered call as well, so the phone rings for the
	// shorter of the two.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// DialToneTimeout is how long dial tone waits for the first digit
	// before reorder tone (0: 30s).
	DialToneTimeout time.Duration `yaml:"dial_tone_timeout"`
	// ReorderTimeout is how long busy or reorder tone plays (no number, a
	// failed call, the far end hung up) before the off-hook warning tone
	// (0: 30s).
	ReorderTimeout time.Duration `yaml:"reorder_timeout"`
	// HowlerTimeout is how long the off-hook warning tone plays before the
	// line goes silent until the handset is put down (0: 60s).
	HowlerTimeout time.Duration `yaml:"howler_timeout"`
	// SidetoneDB is how loud the handset's microphone is in its own
	// earpiece during a call, in dB (-40 to -6; 0: no sidetone, right for
	// a SLIC whose hybrid makes sidetone itself).
	SidetoneDB float64 `yaml:"sidetone_db"`
	// DND (do not disturb) turns incoming calls away (486 Busy Here)
	// without ringing.
	DND bool `yaml:"dnd"`
	// CallWaiting lets a second call in during a call: the call-waiting
	// tone in the earpiece, a hook flash answers it and holds the first
	// (then swaps between them), hanging up with a call on hold rings the
	// bell again. Without it a second call gets 486 Busy Here. A flash
	// during a call without a second one holds it for a blind transfer:
	// dial the number and hang up. sip.max_calls is raised to 2 for it.
	CallWaiting bool `yaml:"call_waiting"`
	// CallWaitingCallerID sends the waiting caller's ID during a call
	// (type II caller ID, needs call_waiting and an FSK caller_id): after
	// the call-waiting tone the call is muted and the alerting signal
	// (2130+2750 Hz, 80 ms) sent; a phone that can show the caller
	// acknowledges with the cas_ack DTMF digit within 160 ms and then gets
	// the caller ID; without that acknowledgement none is sent.
	CallWaitingCallerID bool `yaml:"call_waiting_caller_id"`
	// CASAck is the DTMF digit a phone acknowledges the call-waiting
	// alerting signal with: D (Bell phones) or A (some European ones).
	// Empty: D.
	CASAck string `yaml:"cas_ack"`
	// CallerIDTiming is when caller ID is sent to a ringing phone:
	// after_ring (in the first long pause of the cadence, as Bell and
	// most of Europe) or before_ring (line reversal, for FSK the 100 ms
	// alerting signal, the caller ID, then the first ring: the UK with
	// V.23, the Netherlands and Denmark with DTMF). Empty: the country's
	// (before_ring for UK and NL, after_ring elsewhere).
	CallerIDTiming string `yaml:"caller_id_timing"`
	// VoicemailSubscription is "on" (empty: the default) to subscribe to
	// the first account's message-summary at the PBX once it registered
	// (RFC 3842: messages waiting give stutter dial tone and show on the
	// web page; the subscription is ended with Expires: 0 when sipbell
	// stops), or "off" for a PBX that refuses or does not need it; its
	// unsolicited message-summary notifications are taken either way.
	VoicemailSubscription string `yaml:"voicemail_subscription,omitempty"`
}

// Values of PhoneConfig.VoicemailSubscription.
const (
	VoicemailSubscriptionOn  = "on"
	VoicemailSubscriptionOff = "off"
)

// Caller-ID timings of PhoneConfig.CallerIDTiming.
const (
	CallerIDAfterRing  = "after_ring"
	CallerIDBeforeRing = "before_ring"
)

// DistinctiveRing is one ring cadence picked by Alert-Info.
type DistinctiveRing struct {
	// Match is text of the Alert-Info header, e.g. "Bellcore-dr2" or
	// "internal" (1-64 characters).
	Match string `yaml:"match"`
	// Cadence is ring and pause durations alternating, as ring_cadence.
	Cadence []time.Duration `yaml:"cadence"`
}

// defaultDistinctiveRings are Telcordia GR-506's distinctive ringing
// patterns as PBXes name them in Alert-Info.
var defaultDistinctiveRings = []DistinctiveRing{
	{Match: "Bellcore-dr2", Cadence: msDur(800, 400, 800, 4000)},
	{Match: "Bellcore-dr3", Cadence: msDur(400, 200, 400, 200, 800, 4000)},
	{Match: "Bellcore-dr4", Cadence: msDur(300, 200, 1000, 200, 300, 4000)},
}

func msDur(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, x := range v {
		d[i] = time.Duration(x) * time.Millisecond
	}
	return d
}

// ringCadence is the cadence for an incoming call with alertInfo.
func (c PhoneConfig) ringCadence(alertInfo string) []time.Duration {
	a := strings.ToLower(alertInfo)
	for _, r := range c.DistinctiveRings {
		if a != "" && strings.Contains(a, strings.ToLower(r.Match)) {
			return r.Cadence
		}
	}
	return c.RingCadence
}

// Phone timer defaults.
const (
	DefaultDialToneTimeout = 30 * time.Second
	DefaultReorderTimeout  = 30 * time.Second
	DefaultHowlerTimeout   = 60 * time.Second
)

// WithDefaults returns c with its empty fields set: country US, the
// country's caller ID, ring cadence and frequency, the timer defaults,
// and the dial plan's and pulse timing's own defaults.
func (c PhoneConfig) WithDefaults() PhoneConfig {
	if c.Country == "" {
		c.Country = "US"
	}
	c.Country = strings.ToUpper(c.Country)
	if c.CallerID == "" {
		c.CallerID = countryCallerID(c.Country)
	}
	if c.CallerIDTiming == "" {
		c.CallerIDTiming = CallerIDAfterRing
		if c.Country == "UK" || c.Country == "GB" || c.Country == "NL" {
			c.CallerIDTiming = CallerIDBeforeRing
		}
	}
	if c.CASAck == "" {
		c.CASAck = "D"
	}
	c.CASAck = strings.ToUpper(c.CASAck)
	if r, err := tone.Ring(c.Country); err == nil {
		if len(c.RingCadence) == 0 {
			c.RingCadence = r.Cadence
		}
		if c.RingHz == 0 {
			c.RingHz = r.Hz
		}
	}
	if c.DialToneTimeout == 0 {
		c.DialToneTimeout = DefaultDialToneTimeout
	}
	if len(c.DistinctiveRings) == 0 {
		c.DistinctiveRings = defaultDistinctiveRings
	}
	if c.ReorderTimeout == 0 {
		c.ReorderTimeout = DefaultReorderTimeout
	}
	if c.HowlerTimeout == 0 {
		c.HowlerTimeout = DefaultHowlerTimeout
	}
	c.DialPlan = c.DialPlan.WithDefaults()
	c.Pulse = c.Pulse.WithDefaults()
	return c
}

// countryCallerID is the caller-ID standard a country's phones expect.
func countryCallerID(cc string) string {
	switch cc {
	case "US":
		return CallerIDBell202
	case "NL":
		return CallerIDDTMF
	}
	return CallerIDV23
}

// Validate checks c (after defaults) and returns a cfgerr.List whose
// paths are relative to this section.
func (c PhoneConfig) Validate() error {
	var errs cfgerr.List
	if _, err := tone.Ring(c.Country); err != nil && c.Country != "" {
		errs.Add("country", "must be one of %s, not %q", strings.Join(tone.Countries(), ", "), c.Country)
	}
	d := c.WithDefaults()
	if v := c.VoicemailSubscription; v != "" && v != VoicemailSubscriptionOn && v != VoicemailSubscriptionOff {
		errs.Add("voicemail_subscription", "must be on or off, not %q", v)
	}
	errs.Merge("dial_plan", d.DialPlan.Validate())
	errs.Merge("pulse", d.Pulse.Validate())
	switch d.CallerID {
	case CallerIDBell202, CallerIDV23, CallerIDDTMF, CallerIDOff:
	default:
		errs.Add("caller_id", "must be bell202, v23, dtmf or off, not %q", c.CallerID)
	}
	switch d.CallerIDTiming {
	case CallerIDAfterRing, CallerIDBeforeRing:
	default:
		errs.Add("caller_id_timing", "must be after_ring or before_ring, not %q", c.CallerIDTiming)
	}
	if len(d.CASAck) != 1 || d.CASAck[0] < 'A' || d.CASAck[0] > 'D' {
		errs.Add("cas_ack", "must be one DTMF digit A, B, C or D, not %q", c.CASAck)
	}
	if c.CallWaitingCallerID && (!c.CallWaiting || (d.CallerID != CallerIDBell202 && d.CallerID != CallerIDV23)) {
		errs.Add("call_waiting_caller_id", "needs call_waiting and an FSK caller_id (bell202 or v23), not caller_id %q", d.CallerID)
	}
	checkCadence(&errs, "ring_cadence", c.RingCadence)
	if len(c.DistinctiveRings) > 8 {
		errs.Add("distinctive_rings", "must have at most 8 entries, not %d", len(c.DistinctiveRings))
	}
	for i, r := range c.DistinctiveRings {
		p := cfgerr.Index("distinctive_rings", i)
		if r.Match == "" || len(r.Match) > 64 {
			errs.Add(p+".match", "must be 1 to 64 characters of the Alert-Info header, not %q", r.Match)
		}
		if len(r.Cadence) == 0 {
			errs.Add(p+".cadence", "must be given")
		}
		checkCadence(&errs, p+".cadence", r.Cadence)
	}
	if c.RingHz != 0 && (c.RingHz < 15 || c.RingHz > 60) {
		errs.Add("ring_hz", "must be 0 (the country's) or 15 to 60 Hz, not %d", c.RingHz)
	}
	checkRange(&errs, "ring_timeout", c.RingTimeout, 5*time.Second, 10*time.Minute, true)
	for _, t := range []struct {
		path      string
		d, lo, hi time.Duration
	}{{"dial_tone_timeout", c.DialToneTimeout, 5 * time.Second, 5 * time.Minute},
		{"reorder_timeout", c.ReorderTimeout, time.Second, 5 * time.Minute},
		{"howler_timeout", c.HowlerTimeout, time.Second, 10 * time.Minute}} {
		if t.d != 0 && (t.d < t.lo || t.d > t.hi) {
			errs.Add(t.path, "must be 0 (the default) or between %v and %v, not %v", t.lo, t.hi, t.d)
		}
	}
	if c.SidetoneDB != 0 && (c.SidetoneDB < -40 || c.SidetoneDB > -6) {
		errs.Add("sidetone_db", "must be 0 (off) or between -40 and -6 dB, not %g", c.SidetoneDB)
	}
	return errs.Err()
}

// checkCadence checks a ring cadence: 2 to 8 steps, each 100ms-10s.
func checkCadence(errs *cfgerr.List, path string, c []time.Duration) {
	if n := len(c); n > 0 && (n%2 != 0 || n > 8) {
		errs.Add(path, "must be 2, 4, 6 or 8 durations (ring, pause, ...), not %d", n)
	}
	for i, s := range c {
		checkRange(errs, cfgerr.Index(path, i), s, 100*time.Millisecond, 10*time.Second, false)
	}
}

// fskStandard maps a caller-ID setting to the FSK modem.
func fskStandard(s string) (callerid.Standard, error) {
	switch s {
	case CallerIDBell202:
		return callerid.Bell202, nil
	case CallerIDV23:
		return callerid.V23, nil
	}
	return 0, fmt.Errorf("device: %q is not an FSK caller-ID standard", s)
}
