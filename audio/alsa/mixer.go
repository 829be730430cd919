package alsa

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNoControl means the sound card has no mixer control of that name
// (the card's controls are listed in the error, or by amixer controls).
var ErrNoControl = errors.New("alsa: no such mixer control")

// Control is one mixer control of a sound card, as the card's control
// interface describes it.
type Control struct {
	Name     string   `json:"name"`
	Index    uint32   `json:"index,omitempty"` // controls of one name are told apart by index
	Type     string   `json:"type"`            // "boolean", "integer" or "enumerated" (others: "other")
	Min      int      `json:"min"`             // integer: the range; boolean 0..1; enumerated 0..items-1
	Max      int      `json:"max"`
	Step     int      `json:"step,omitempty"`
	Items    []string `json:"items,omitempty"` // enumerated: the items' names
	Values   []int    `json:"values"`          // one per channel
	Writable bool     `json:"writable"`
}

// Percent returns the first channel's value as a share of the range, in
// percent.
func (c Control) Percent() float64 {
	if len(c.Values) == 0 || c.Max <= c.Min {
		return 0
	}
	return 100 * float64(c.Values[0]-c.Min) / float64(c.Max-c.Min)
}

// FromPercent returns the value at pct percent of the range, rounded to
// the step.
func (c Control) FromPercent(pct float64) int {
	pct = max(0, min(100, pct))
	v := c.Min + int(pct/100*float64(c.Max-c.Min)+0.5)
	if c.Step > 1 {
		v = c.Min + (v-c.Min+c.Step/2)/c.Step*c.Step
	}
	return max(c.Min, min(c.Max, v))
}

// ParseValue reads a setting for control c: a number in its range, a
// percentage of its range ("75%"), on/off for a boolean, or an enumerated
// item's name.
func (c Control) ParseValue(s string) (int, error) {
	switch {
	case c.Type == "boolean" && (s == "on" || s == "true"):
		return 1, nil
	case c.Type == "boolean" && (s == "off" || s == "false"):
		return 0, nil
	case len(s) > 1 && s[len(s)-1] == '%':
		p, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || p < 0 || p > 100 {
			return 0, fmt.Errorf("alsa: %q: %q is not a percentage 0%%..100%%", c.Name, s)
		}
		return c.FromPercent(p), nil
	}
	for i, it := range c.Items {
		if it == s {
			return i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < c.Min || v > c.Max {
		return 0, fmt.Errorf("alsa: %q: %q is not a value of this control (%d..%d, a percentage%s)", c.Name, s, c.Min, c.Max, map[bool]string{true: ", on or off", false: ""}[c.Type == "boolean"])
	}
	return v, nil
}
