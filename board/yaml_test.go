package board

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestConfigYAML decodes the section the way provisioning does (unknown
// keys refused) and checks durations, overrides and "none".
func TestConfigYAML(t *testing.T) {
	t.Parallel()
	src := `
profile: rpi
pins:
  call_buttons:
    - {debounce: 20ms, long_press: 3s}
    - {pin: GPIO6}
  status_led: {active: low}
  ringer: {pin: none}
audio: {playback: "hw:1,0"}
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	pins, _, _ := c.resolve()
	got := map[string]PinConfig{}
	for _, p := range pins {
		got[p.path] = p.cfg
	}
	want := map[string]PinConfig{
		"pins.call_buttons[0]": {Pin: "GPIO17", Active: "low", Pull: "up", Debounce: 20 * time.Millisecond, LongPress: 3 * time.Second},
		"pins.call_buttons[1]": {Pin: "GPIO6", Active: "low", Pull: "up", Debounce: 30 * time.Millisecond, LongPress: 2 * time.Second},
		"pins.status_led":      {Pin: "GPIO27", Active: "low", Pull: "none"},
	}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s = %+v, want %+v", path, got[path], w)
		}
	}
	if _, ok := got["pins.ringer"]; ok {
		t.Error("ringer set to none is still wired")
	}
	var bad Config
	dec = yaml.NewDecoder(strings.NewReader("pins: {status_led: {pins: GPIO4}}"))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil || !strings.Contains(err.Error(), "pins") {
		t.Errorf("misspelt key decoded without error: %v", err)
	}
}
