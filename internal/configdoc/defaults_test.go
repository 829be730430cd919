package configdoc

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
)

// TestExportedDefaultsApplied fails when a default shown in the reference
// is not the one the code applies to a zero value. Defaults the code keeps
// unexported are checked by a test of their own package (see Checked).
func TestExportedDefaultsApplied(t *testing.T) {
	p := device.PhoneConfig{}.WithDefaults()
	for key, applied := range exportedDefaults(p) {
		t.Run(key, func(t *testing.T) {
			if got := Format(applied); Defaults[key] != got {
				t.Errorf("reference shows %q, the code applies %q", Defaults[key], got)
			}
		})
	}
}

func exportedDefaults(p device.PhoneConfig) map[string]any {
	return map[string]any{
		"sip.max_calls":                      ua.DefaultMaxCalls,
		"device.phone.dial_plan.digit_map":   p.DialPlan.DigitMap,
		"device.phone.dial_plan.short_timer": p.DialPlan.ShortTimer,
		"device.phone.dial_plan.long_timer":  p.DialPlan.LongTimer,
		"device.phone.dial_plan.dial_key":    p.DialPlan.DialKey,
		"device.phone.pulse.debounce":        p.Pulse.Debounce,
		"device.phone.pulse.break_min":       p.Pulse.BreakMin,
		"device.phone.pulse.break_max":       p.Pulse.BreakMax,
		"device.phone.pulse.digit_gap":       p.Pulse.DigitGap,
		"device.phone.pulse.flash_min":       p.Pulse.FlashMin,
		"device.phone.pulse.flash_max":       p.Pulse.FlashMax,
		"device.phone.pulse.mapping":         p.Pulse.Mapping,
		"device.phone.country":               p.Country,
		"device.phone.dial_tone_timeout":     p.DialToneTimeout,
		"device.phone.reorder_timeout":       p.ReorderTimeout,
		"device.phone.howler_timeout":        p.HowlerTimeout,
	}
}

// otherPackages are the keys whose default is checked by a test in the
// package that applies it (a TestDocumentedDefaults there).
var otherPackages = []string{
	"sip.accounts[].expires", "sip.accounts[].transport",
	"board.pins.call_buttons[].active", "board.pins.call_buttons[].pull",
	"board.pins.call_buttons[].debounce", "board.pins.call_buttons[].long_press",
	"notify.webhooks[].timeout", "notify.webhooks[].retries", "notify.webhooks[].backoff_max",
	"notify.mqtt.topic", "notify.mqtt.queue", "notify.mqtt.backoff_max",
	"notify.mqtt.home_assistant.prefix", "notify.mqtt.home_assistant.user",
}

// TestEveryDefaultChecked fails when an entry of Defaults is checked by no
// test, or names no key of the reference (a typo would show nothing).
func TestEveryDefaultChecked(t *testing.T) {
	checked := exportedDefaults(device.PhoneConfig{})
	for _, k := range otherPackages {
		checked[k] = nil
	}
	ref, err := Generate(provisioning.Default(), "github.com/sipbell/sipbell", "../..")
	if err != nil {
		t.Fatal(err)
	}
	for key, val := range Defaults {
		if _, ok := checked[key]; !ok {
			t.Errorf("%s: default %q is checked by no test", key, val)
		}
		if !strings.Contains(ref, "| `"+key+"` | `"+cell(val)+"` |") {
			t.Errorf("%s: the reference has no row showing %q", key, val)
		}
	}
	for key := range checked {
		if _, ok := Defaults[key]; !ok {
			t.Errorf("%s: checked but not in Defaults", key)
		}
	}
}

// textDefault finds a default written in a key's text: "default 30ms",
// "0 means the default, 1h", "(0: 4s)", "left out: 5".
var textDefault = regexp.MustCompile(`(?i)(?:\bdefault[:,]? |0 means (?:the default, )?|\(0: |; 0: |left out: )"?([0-9][0-9a-z.]*)(-?)`)

// TestTextDefaultsAgree fails when a key's text names a default other than
// the one its default column shows ("default 1h" over a `0`).
func TestTextDefaultsAgree(t *testing.T) {
	ref, err := Generate(provisioning.Default(), "github.com/sipbell/sipbell", "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(ref, "\n") {
		cells := strings.SplitN(line, " | ", 3)
		if len(cells) < 3 || !strings.HasPrefix(cells[1], "`") {
			continue // not a key row, or no single value to compare
		}
		col := strings.Trim(cells[1], "`")
		for _, m := range textDefault.FindAllStringSubmatch(cells[2], -1) {
			if m[2] == "-" {
				continue // a range ("default 10000-20000")
			}
			if !sameValue(col, strings.TrimRight(m[1], ".")) {
				t.Errorf("%s: the text says default %s, the column %s", cells[0], m[1], col)
			}
		}
	}
}

// sameValue compares two defaults as durations when both are ("60s", "1m").
func sameValue(a, b string) bool {
	da, errA := time.ParseDuration(a)
	db, errB := time.ParseDuration(b)
	if errA == nil && errB == nil {
		return da == db
	}
	return a == b
}
