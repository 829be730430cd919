package mqtt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/device"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" valid, else part of the error
	}{
		{"off", Config{}, ""},
		{"plain", Config{Broker: "mqtt://127.0.0.1:1883"}, ""},
		{"tls", Config{Broker: "mqtts://broker.example:8883", User: "door", Password: "x"}, ""},
		{"scheme", Config{Broker: "http://broker:1883"}, "broker"},
		{"no port", Config{Broker: "mqtt://broker"}, "broker"},
		{"credentials in url", Config{Broker: "mqtt://u:p@broker:1883"}, "credentials"},
		{"password without user", Config{Broker: "mqtt://b:1", Password: "x"}, "user"},
		{"wildcard topic", Config{Broker: "mqtt://b:1", Topic: "door/#"}, "topic"},
		{"slash topic", Config{Broker: "mqtt://b:1", Topic: "door/"}, "topic"},
		{"user with slash", Config{Broker: "mqtt://b:1", Commands: []string{"a/b"}}, "commands[0]"},
		{"queue", Config{Broker: "mqtt://b:1", Queue: 10001}, "queue"},
		{"backoff", Config{Broker: "mqtt://b:1", BackoffMax: time.Hour}, "backoff_max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Broker == "" {
		cfg.Broker = "mqtt://127.0.0.1:1883"
	}
	c, err := New(cfg, Options{Info: Info{Buttons: 2, Contact: true, Version: "1.2"}, Clock: clockwork.NewFakeClock(),
		Encode: func(ev device.Event) []byte { return []byte(`{"event":"` + ev.Kind.String() + `"}`) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDiscovery: one doorbell per button, the relay's button, the sensors
// and the door contact, all on one device; with discovery off the same
// topics get empty retained payloads (removal).
func TestDiscovery(t *testing.T) {
	on := newTestClient(t, Config{HomeAssistant: HomeAssistant{Discovery: true}}).discovery()
	off := newTestClient(t, Config{}).discovery()
	want := []string{"homeassistant/event/sipbell/button1/config", "homeassistant/event/sipbell/button2/config",
		"homeassistant/button/sipbell/relay1/config", "homeassistant/sensor/sipbell/call/config",
		"homeassistant/sensor/sipbell/registration/config", "homeassistant/binary_sensor/sipbell/door1/config",
		"homeassistant/switch/sipbell/dnd/config"}
	if len(on) != len(want) || len(off) != len(want) {
		t.Fatalf("%d and %d configs, want %d", len(on), len(off), len(want))
	}
	for i, w := range want {
		if on[i].topic != w || off[i].topic != w || !on[i].retained || !off[i].retained || len(off[i].payload) != 0 {
			t.Fatalf("config %d: %+v / %+v, want topic %s, retained, removal empty", i, on[i], off[i], w)
		}
		var f struct {
			UniqueID string         `json:"unique_id"`
			Device   map[string]any `json:"device"`
		}
		if err := json.Unmarshal(on[i].payload, &f); err != nil || f.UniqueID == "" || f.Device["sw_version"] != "1.2" {
			t.Fatalf("config %d: %s (%v)", i, on[i].payload, err)
		}
	}
}

// TestNotifyStatesAndQueueBound: events become event, button and state
// messages in order; a repeated state is not published again; the queue
// drops the oldest beyond its bound.
func TestNotifyStatesAndQueueBound(t *testing.T) {
	c := newTestClient(t, Config{Queue: 4})
	c.Notify(device.Event{Kind: device.EventRang, Button: 0})
	var got []string
	for m, ok := c.q.pop(); ok; m, ok = c.q.pop() {
		got = append(got, m.topic+" "+string(m.payload))
	}
	want := []string{`sipbell/event/rang {"event":"rang"}`, `sipbell/button/1 {"event_type":"press"}`, "sipbell/state/call ringing"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	c.Notify(device.Event{Kind: device.EventRang}) // still ringing: no state message
	if c.q.pop(); c.q.len() != 1 {
		t.Fatalf("%d left, want 1 (the button)", c.q.len())
	}
	for range 10 {
		c.Notify(device.Event{Kind: device.EventDoorOpened})
	}
	if c.q.len() != 4 || c.q.dropped != 7 {
		t.Fatalf("queue %d dropped %d, want 4 and 7", c.q.len(), c.q.dropped)
	}
}

// TestRefusalsRateLimited: one log line per 10 s on the injected clock.
func TestRefusalsRateLimited(t *testing.T) {
	clk := clockwork.NewFakeClock()
	l := limiter{clock: clk}
	if _, ok := l.allow(); !ok {
		t.Fatal("first refusal not logged")
	}
	for range 5 {
		if _, ok := l.allow(); ok {
			t.Fatal("refusal logged within the interval")
		}
	}
	clk.Advance(refuseEvery)
	if n, ok := l.allow(); !ok || n != 5 {
		t.Fatalf("allow() = %d, %v; want 5 suppressed, logged", n, ok)
	}
}
