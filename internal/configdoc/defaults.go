package configdoc

import (
	"fmt"
	"reflect"
	"time"
)

// Defaults are the values the code applies to keys whose zero value (or
// absence) means "the default", so the reference shows the value in
// effect rather than the zero. Keys are written as in the reference
// ("sip.accounts[].expires"); values as Format renders them. Each entry is
// checked against the code by a test in the package that applies it, or
// in this package where the default is exported, so the two cannot drift.
var Defaults = map[string]string{
	"sip.accounts[].expires":               "1h",
	"sip.accounts[].transport":             "udp",
	"sip.max_calls":                        "1",
	"board.pins.call_buttons[].active":     "low",
	"board.pins.call_buttons[].pull":       "up",
	"board.pins.call_buttons[].debounce":   "30ms",
	"board.pins.call_buttons[].long_press": "2s",
	"device.phone.dial_plan.digit_map":     "(*xx.T|xx.T)",
	"device.phone.dial_plan.short_timer":   "4s",
	"device.phone.dial_plan.long_timer":    "10s",
	"device.phone.dial_plan.dial_key":      "#",
	"device.phone.pulse.debounce":          "5ms",
	"device.phone.pulse.break_min":         "20ms",
	"device.phone.pulse.break_max":         "90ms",
	"device.phone.pulse.digit_gap":         "150ms",
	"device.phone.pulse.flash_min":         "100ms",
	"device.phone.pulse.flash_max":         "900ms",
	"device.phone.pulse.mapping":           "standard",
	"device.phone.country":                 "US",
	"device.phone.dial_tone_timeout":       "30s",
	"device.phone.reorder_timeout":         "30s",
	"device.phone.howler_timeout":          "1m",
	"notify.webhooks[].timeout":            "5s",
	"notify.webhooks[].retries":            "5",
	"notify.webhooks[].backoff_max":        "5m",
	"notify.mqtt.topic":                    "sipbell",
	"notify.mqtt.queue":                    "64",
	"notify.mqtt.backoff_max":              "1m",
	"notify.mqtt.home_assistant.prefix":    "homeassistant",
	"notify.mqtt.home_assistant.user":      "homeassistant",
}

// Format renders a value as the reference shows a default: durations in
// their shortest unit ("1h", "30ms"), everything else as fmt prints it.
func Format(v any) string {
	if d, ok := v.(time.Duration); ok {
		if d == 0 {
			return "0"
		}
		return shortDuration(d)
	}
	return fmt.Sprint(v)
}

// effective returns the cell for a key whose value in the defaults is fv:
// the entry of Defaults when fv is zero (or nil) and the key has one.
func effective(path string, fv reflect.Value) (string, bool) {
	d, ok := Defaults[path]
	if !ok || !fv.IsZero() {
		return "", false
	}
	return "`" + cell(d) + "`", true
}
