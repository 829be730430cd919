package mqtt

import (
	"strings"
	"testing"
)

// TestSelfTested: a self-test outcome is queued retained at
// <topic>/selftest, kept for the next connection, published once when
// repeated, and an oversize one is dropped.
func TestSelfTested(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payloads []string
		want     []string // queued payloads
	}{
		{"one", []string{`{"pass":true}`}, []string{`{"pass":true}`}},
		{"repeated", []string{`{"pass":true}`, `{"pass":true}`}, []string{`{"pass":true}`}},
		{"changed", []string{`{"pass":true}`, `{"pass":false}`}, []string{`{"pass":true}`, `{"pass":false}`}},
		{"oversize", []string{`{"detail":"` + strings.Repeat("x", maxSelfTest) + `"}`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Broker: "mqtt://127.0.0.1:1", Topic: "door/1"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.payloads {
				c.SelfTested([]byte(p))
			}
			var got []string
			for m, ok := c.q.pop(); ok; m, ok = c.q.pop() {
				if m.topic != "door/1/selftest" || !m.retained {
					t.Fatalf("queued %q retained=%v, want door/1/selftest retained", m.topic, m.retained)
				}
				got = append(got, string(m.payload))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("queued %q, want %q", got, tc.want)
			}
			if kept := c.state["door/1/selftest"]; len(tc.want) > 0 && kept != tc.want[len(tc.want)-1] {
				t.Fatalf("kept for reconnection %q, want %q", kept, tc.want[len(tc.want)-1])
			}
		})
	}
}

// TestSelfTestDiscovery: a device with the self-test has a diagnostic
// problem binary_sensor reading <topic>/selftest; one without has none.
func TestSelfTestDiscovery(t *testing.T) {
	for _, has := range []bool{true, false} {
		c, err := New(Config{Broker: "mqtt://127.0.0.1:1", Topic: "door/1", HomeAssistant: HomeAssistant{Discovery: true}},
			Options{Info: Info{SelfTest: has}})
		if err != nil {
			t.Fatal(err)
		}
		var found string
		for _, m := range c.discovery() {
			if m.topic == "homeassistant/binary_sensor/door_1/audio/config" {
				found = string(m.payload)
			}
		}
		want := []string{`"device_class":"problem"`, `"state_topic":"door/1/selftest"`, `value_json.pass`, `"json_attributes_topic":"door/1/selftest"`}
		for _, w := range want {
			if has && !strings.Contains(found, w) {
				t.Errorf("self-test sensor %q, want %s in it", found, w)
			}
		}
		if !has && found != "" {
			t.Errorf("a device without the self-test announces %s", found)
		}
	}
}
