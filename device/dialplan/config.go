package dialplan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is an analog phone's dial plan.
type Config struct {
	// DigitMap is the RFC 3435 digit map with <from:to> substitutions,
	// for example "(911|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)". Empty
	// means the default: any digits, dialled when the short timer
	// runs out or the dial key is pressed.
	DigitMap string `yaml:"digit_map"`
	// ShortTimer is the inter-digit wait when the digits so far are a
	// complete number that more digits could extend (0: 4s).
	ShortTimer time.Duration `yaml:"short_timer"`
	// LongTimer is the inter-digit wait when the digits so far are not
	// yet a number; when it runs out the phone plays reorder (0: 10s).
	LongTimer time.Duration `yaml:"long_timer"`
	// DialKey dials the digits before it at once, as the timer running
	// out would: "#" (the default) or "*"; "none" turns it off. A map
	// pattern that contains the key takes precedence.
	DialKey string `yaml:"dial_key"`
	// SpeedDials maps short codes (1 to 4 of 0-9, *, #) to the number or
	// SIP URI they dial; a code acts as a pattern of its own, tried before
	// the digit map.
	SpeedDials map[string]string `yaml:"speed_dials"`
	// Hotline is dialled when the phone goes off-hook (a lift or door
	// phone), instead of dial tone; empty: no hotline.
	Hotline string `yaml:"hotline"`
	// HotlineDelay turns the hotline into a warmline: dial tone first, and
	// Hotline is dialled only if no digit came within this delay (0:
	// at once).
	HotlineDelay time.Duration `yaml:"hotline_delay"`
}

// Defaults of Config.
const (
	DefaultDigitMap   = "(*xx.T|xx.T)"
	DefaultShortTimer = 4 * time.Second
	DefaultLongTimer  = 10 * time.Second
	DefaultDialKey    = "#"
)

// WithDefaults returns c with empty fields set to the defaults.
func (c Config) WithDefaults() Config {
	if strings.TrimSpace(c.DigitMap) == "" {
		c.DigitMap = DefaultDigitMap
	}
	if c.ShortTimer == 0 {
		c.ShortTimer = DefaultShortTimer
	}
	if c.LongTimer == 0 {
		c.LongTimer = DefaultLongTimer
	}
	if c.DialKey == "" {
		c.DialKey = DefaultDialKey
	}
	return c
}

// Validate checks c (after defaults) and returns a cfgerr.List naming the
// fields.
func (c Config) Validate() error {
	_, err := c.Plan()
	return err
}

func targetOK(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := range len(s) {
		if s[i] <= 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Plan compiles c into a Plan, or returns a cfgerr.List of what is wrong.
func (c Config) Plan() (*Plan, error) {
	c = c.WithDefaults()
	var errs cfgerr.List
	m, err := Parse(c.DigitMap)
	var se *SyntaxError
	if errors.As(err, &se) {
		errs.Add("digit_map", "character %d: %s", se.Pos+1, se.Msg)
	}
	if c.ShortTimer < 500*time.Millisecond || c.ShortTimer > 30*time.Second {
		errs.Add("short_timer", "%v out of range 500ms..30s", c.ShortTimer)
	}
	if c.LongTimer < time.Second || c.LongTimer > time.Minute {
		errs.Add("long_timer", "%v out of range 1s..1m", c.LongTimer)
	} else if c.LongTimer < c.ShortTimer {
		errs.Add("long_timer", "%v shorter than short_timer %v", c.LongTimer, c.ShortTimer)
	}
	if c.DialKey != "#" && c.DialKey != "*" && c.DialKey != "none" {
		errs.Add("dial_key", "%q: want \"#\", \"*\" or \"none\"", c.DialKey)
	}
	p := &Plan{cfg: c, m: m}
	var speed []pattern
	keys := make([]string, 0, len(c.SpeedDials))
	for k := range c.SpeedDials {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := c.SpeedDials[k]
		path := "speed_dials." + k
		switch {
		case len(k) < 1 || len(k) > 4 || strings.Trim(k, "0123456789*#") != "":
			errs.Add(path, "code %q: want 1 to 4 of 0-9, *, #", k)
		case !targetOK(v):
			errs.Add(path, "target %q: want 1 to 256 printable characters without spaces", v)
		default:
			pat := pattern{src: k}
			for i := range len(k) {
				pat.items = append(pat.items, item{set: 1 << symIndex(k[i]), drop: true})
			}
			pat.items = append(pat.items, item{text: v})
			speed = append(speed, pat)
		}
	}
	if c.Hotline != "" && !targetOK(c.Hotline) {
		errs.Add("hotline", "%q: want 1 to 256 printable characters without spaces", c.Hotline)
	}
	if c.HotlineDelay < 0 || c.HotlineDelay > 5*time.Minute {
		errs.Add("hotline_delay", "%v out of range 0..5m", c.HotlineDelay)
	} else if c.HotlineDelay > 0 && c.Hotline == "" {
		errs.Add("hotline_delay", "set, but hotline is empty")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if len(speed) > 0 {
		p.m = &Map{src: m.src, pats: append(speed, m.pats...)}
	}
	return p, nil
}

// Plan is a compiled Config. It is immutable and safe for concurrent use.
type Plan struct {
	cfg Config
	m   *Map
}

// Match is Map.Match over the speed dials and the digit map, with the
// dial key: digits ending in the key that the map does not match are
// matched as if the timer had run out.
func (p *Plan) Match(input string) Result {
	r := p.m.Match(input)
	key := p.cfg.DialKey
	if r.Status == NoMatch && key != "none" && len(input) > 1 && strings.HasSuffix(input, key) {
		return p.m.Match(strings.TrimSuffix(input, key) + "T")
	}
	return r
}

// Timer returns the duration of the inter-digit timer t (0 for NoTimer).
func (p *Plan) Timer(t Timer) time.Duration {
	switch t {
	case Short:
		return p.cfg.ShortTimer
	case Long:
		return p.cfg.LongTimer
	}
	return 0
}

// OffHook tells what going off-hook does: with a hotline, the number to
// dial and after what delay of no digits (0: at once, no dial tone); ok
// is false without a hotline.
func (p *Plan) OffHook() (number string, delay time.Duration, ok bool) {
	return p.cfg.Hotline, p.cfg.HotlineDelay, p.cfg.Hotline != ""
}

// String describes the plan's digit map.
func (p *Plan) String() string { return fmt.Sprintf("dialplan %s", p.m.src) }
