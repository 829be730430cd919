package device_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/internal/cfgerr"
	"go.yaml.in/yaml/v3"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c := device.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	if strings.Contains(c.Door.Code, c.Call.ExtendKey) {
		t.Errorf("default extend key %q collides with the default door code %q", c.Call.ExtendKey, c.Door.Code)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *device.Config)
		paths []string // the field paths reported, in order
	}{
		{"valid with targets", func(c *device.Config) {
			c.Buttons[0].Targets = []string{"1001", "sip:1002@pbx.example:5060;transport=tcp", "bob@pbx"}
		}, nil},
		{"ata with the phone defaults", func(c *device.Config) { c.Mode = device.ModeATA }, nil},
		{"ata phone settings", func(c *device.Config) {
			c.Mode = device.ModeATA
			c.Phone = device.PhoneConfig{Country: "XX", CallerID: "morse", RingCadence: []time.Duration{time.Second},
				RingHz: 100, SidetoneDB: -3, DialToneTimeout: time.Second}
			c.Phone.DialPlan.DigitMap = "(xx"
			c.Phone.Pulse.FlashMin = time.Hour
			c.Phone.DistinctiveRings = []device.DistinctiveRing{{Match: "", Cadence: []time.Duration{time.Second}}}
		}, []string{"phone.country", "phone.dial_plan.digit_map", "phone.pulse.flash_min", "phone.pulse.flash_max", "phone.caller_id",
			"phone.ring_cadence", "phone.distinctive_rings[0].match", "phone.distinctive_rings[0].cadence", "phone.ring_hz", "phone.dial_tone_timeout", "phone.sidetone_db"}},
		{"unknown mode", func(c *device.Config) { c.Mode = "intercom" }, []string{"mode"}},
		{"bad targets", func(c *device.Config) {
			c.Buttons = append(c.Buttons, device.Button{Targets: []string{"1001", "tel:+4930123", "", "a b", "bob@"},
				Order: device.OrderParallel, RingTimeout: 20 * time.Second})
		}, []string{"buttons[1].targets[1]", "buttons[1].targets[2]", "buttons[1].targets[3]", "buttons[1].targets[4]"}},
		{"empty order and ring timeout mean the defaults", func(c *device.Config) {
			c.Buttons = []device.Button{{Targets: []string{"1001"}}}
		}, nil},
		{"bad order and ring timeout", func(c *device.Config) {
			c.Buttons[0].Order = "random"
			c.Buttons[0].RingTimeout = time.Second
		}, []string{"buttons[0].order", "buttons[0].ring_timeout"}},
		{"warning not before the limit", func(c *device.Config) { c.Call.WarningBefore = c.Call.TimeLimit }, []string{"call.warning_before"}},
		{"negative warning", func(c *device.Config) { c.Call.WarningBefore = -time.Second }, []string{"call.warning_before"}},
		{"limit too short", func(c *device.Config) { c.Call.TimeLimit = time.Second; c.Call.WarningBefore = 0 }, []string{"call.time_limit"}},
		{"no limit is fine", func(c *device.Config) { c.Call.TimeLimit = 0; c.Call.WarningBefore = 0 }, nil},
		{"extend key not DTMF", func(c *device.Config) { c.Call.ExtendKey = "x" }, []string{"call.extend_key"}},
		{"extend key two keys", func(c *device.Config) { c.Call.ExtendKey = "**" }, []string{"call.extend_key"}},
		{"extend key inside the door code", func(c *device.Config) { c.Door.Code = "12*#" }, []string{"call.extend_key"}},
		{"extend key off", func(c *device.Config) { c.Call.ExtendKey = "" }, nil},
		{"door code not DTMF", func(c *device.Config) { c.Door.Code = "12x#" }, []string{"door.code"}},
		{"door code too long", func(c *device.Config) { c.Door.Code = strings.Repeat("1", 17) }, []string{"door.code"}},
		{"door timings", func(c *device.Config) {
			c.Door.InterDigitTimeout = 0
			c.Door.RelayPulse = time.Millisecond
			c.Door.HangupAfterOpen = -time.Second
			c.Door.LeftOpenAlarm = time.Second
		}, []string{"door.inter_digit_timeout", "door.relay_pulse", "door.hangup_after_open", "door.left_open_alarm"}},
		{"prompts", func(c *device.Config) {
			c.Prompts = device.Prompts{NoAnswer: "/usr/share/sipbell/nobody.wav", Busy: "busy.wav", DoorOpened: "/x/beep.mp3"}
		}, []string{"prompts.busy", "prompts.door_opened"}},
		{"bad allowed party", func(c *device.Config) { c.Door.Allowed = []string{"alice", "<sip:bob@pbx"} }, []string{"door.allowed[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := device.DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			var got []string
			var list cfgerr.List
			if err != nil && !errors.As(err, &list) {
				t.Fatalf("Validate() = %T %v, want a cfgerr.List", err, err)
			}
			for _, fe := range list {
				got = append(got, fe.Path)
				if fe.Msg == "" {
					t.Errorf("%s: empty message", fe.Path)
				}
			}
			if !slices.Equal(got, tc.paths) {
				t.Errorf("paths %q, want %q (err: %v)", got, tc.paths, err)
			}
		})
	}
}

func TestConfigYAML(t *testing.T) {
	src := `
mode: door
buttons:
  - targets: ["sip:1001@pbx.example", "1002"]
    order: parallel
    ring_timeout: 45s
call:
  time_limit: 5m
  warning_before: 30s
  extend_key: "0"
  end_on_button: false
door:
  code: "1234#"
  inter_digit_timeout: 4s
  relay_pulse: 1500ms
  hangup_after_open: 10s
  left_open_alarm: 3m
  allowed: [alice]
  targets_may_open: false
auto_answer: false
`
	c := device.DefaultConfig()
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := device.Config{Mode: "door",
		Buttons: []device.Button{{Targets: []string{"sip:1001@pbx.example", "1002"}, Order: "parallel", RingTimeout: 45 * time.Second}},
		Call:    device.CallConfig{TimeLimit: 5 * time.Minute, WarningBefore: 30 * time.Second, ExtendKey: "0"},
		Door: device.DoorConfig{Code: "1234#", InterDigitTimeout: 4 * time.Second, RelayPulse: 1500 * time.Millisecond,
			HangupAfterOpen: 10 * time.Second, LeftOpenAlarm: 3 * time.Minute, Allowed: []string{"alice"},
			Access: device.AccessConfig{MaxFailures: device.DefaultMaxFailures, Lockout: device.DefaultLockout}},
	}
	got, _ := yaml.Marshal(c)
	exp, _ := yaml.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("decoded\n%s\nwant\n%s", got, exp)
	}
}

func TestNewRejects(t *testing.T) {
	bad := device.DefaultConfig()
	bad.Mode = "x"
	if _, err := device.New(bad, device.Deps{}); err == nil || !strings.Contains(err.Error(), "mode") {
		t.Errorf("New with a bad config = %v, want an error naming mode", err)
	}
	if _, err := device.New(device.DefaultConfig(), device.Deps{}); err == nil {
		t.Error("New without Outputs and Phone succeeded")
	}
}
