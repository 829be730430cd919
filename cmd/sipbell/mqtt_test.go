package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// mqttACL reserves <topic>/command/<user>/ to each user (the identity
// sipbell reads from the topic) and lets the door publish its own topics.
const mqttACL = `pattern write sipbell/test/command/%u/#
pattern read #
user door
topic readwrite sipbell/test/#
topic readwrite homeassistant/#
`

// mqttRig is a real Mosquitto (password file, ACL, TLS listener) and a
// Kamailio with alice, for a sipbell on the simulated board.
type mqttRig struct {
	m     *interop.Mosquitto
	k     *interop.Kamailio
	alice *interop.Baresip
}

func newMQTTRig(t *testing.T) *mqttRig {
	r := &mqttRig{m: startTestMosquitto(t)}
	r.k = interop.StartKamailio(t, interop.KamailioOptions{})
	r.alice = interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: r.k.UDP})
	return r
}

func startTestMosquitto(t *testing.T) *interop.Mosquitto {
	return interop.StartMosquitto(t, interop.MosquittoOptions{ACL: mqttACL,
		Users: map[string]string{"door": "door-pw", "tester": "tester-pw", "intruder": "intruder-pw"}})
}

// start runs sipbell with discovery on or off (registered with the
// rig's Kamailio when it has one).
func (r *mqttRig) start(t *testing.T, discovery bool) *proc {
	account, target := "", "sip:alice@127.0.0.1:9"
	if r.k != nil {
		target = "alice"
		account = fmt.Sprintf("  accounts:\n    - registrar: %s\n      user: door\n      password: %s\n", r.k.UDP, interop.Password)
	}
	return startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
%sboard:
  profile: sim
device:
  buttons:
    - targets: [%s]
      ring_timeout: 5s
  door:
    code: "#"
    relay_pulse: 1s
notify:
  mqtt:
    broker: mqtts://127.0.0.1:%d
    user: door
    password: door-pw
    ca_file: %s
    topic: sipbell/test
    commands: [tester]
    backoff_max: 2s
    home_assistant:
      discovery: %v
      user: tester
`, account, target, r.m.TLSPort, r.m.CA.CertFile, discovery))
}

// awaitInOrder waits until log holds each line, each after the one before.
func awaitInOrder(ctx context.Context, t *testing.T, log *interop.Log, lines ...string) {
	t.Helper()
	at := 0
	for _, l := range lines {
		// the first occurrence of l after at: one more than before at
		if err := log.WaitFor(ctx, l, strings.Count(log.String()[:at], l)+1); err != nil {
			t.Fatalf("%v; log:\n%s", err, log)
		}
		s := log.String()
		at += strings.Index(s[at:], l) + len(l)
	}
}

// TestMQTTHomeAssistant is issue 20's MQTT test on the real binary, a
// real Mosquitto and mosquitto_sub/mosquitto_pub as independent clients:
// retained discovery and availability; a press gives the doorbell event,
// the rang event and the call state changes in order; a hangup command
// ends a ringing call; a command from an allowed user pulses the relay, one from another user is refused; the
// broker restarted → sipbell reconnects and is online again; sipbell
// killed → the will marks it offline.
func TestMQTTHomeAssistant(t *testing.T) {
	t.Parallel()
	r := newMQTTRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	live := r.m.Subscribe(t, "tester", "tester-pw", "sipbell/test/#")
	p := r.start(t, true)
	p.await(t, "registered")
	awaitInOrder(ctx, t, live, "0 sipbell/test/availability online\n")

	// Retained: a subscriber arriving later gets the discovery configs.
	late := r.m.Subscribe(t, "tester", "tester-pw", "homeassistant/#")
	cfgLine := "1 homeassistant/event/sipbell_test/button1/config "
	if err := late.WaitFor(ctx, cfgLine); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, late.String(), cfgLine)
	for _, c := range []string{"button/sipbell_test/relay1", "sensor/sipbell_test/call", "sensor/sipbell_test/registration"} {
		if err := late.WaitFor(ctx, "1 homeassistant/"+c+"/config {"); err != nil {
			t.Fatal(err)
		}
	}

	// A press: the doorbell event, the rang event, ringing, then idle
	// when alice does not answer.
	fmt.Fprintf(p.stdin, "1\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/rang {", "0 sipbell/test/button/1 {\"event_type\":\"press\"}\n",
		"0 sipbell/test/state/call ringing\n", "0 sipbell/test/event/missed {", "0 sipbell/test/state/call idle\n")
	// Hung up by command while ringing.
	fmt.Fprintf(p.stdin, "1\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/missed {", "0 sipbell/test/state/call ringing\n")
	if err := r.m.Publish(ctx, "tester", "tester-pw", "sipbell/test/command/tester/hangup", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.alice.WaitEventN(ctx, "CALL_CLOSED", 2); err != nil {
		t.Fatal(err)
	}
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/missed {", "0 sipbell/test/state/call ringing\n", "0 sipbell/test/state/call idle\n")
	if m := p.await(t, "mqtt: command done"); m["command"] != "hangup" {
		t.Fatalf("command done: %v, want hangup", m["command"])
	}

	// A command from a user without rights is refused (the ACL lets the
	// intruder write only under its own name; under tester's the broker
	// denies it).
	if err := r.m.Publish(ctx, "intruder", "intruder-pw", "sipbell/test/command/intruder/open", "PRESS"); err != nil {
		t.Fatal(err)
	}
	m := p.await(t, "mqtt: command refused")
	if m["user"] != "intruder" {
		t.Fatalf("refused %v, want intruder", m["user"])
	}
	if err := r.m.Publish(ctx, "intruder", "intruder-pw", "sipbell/test/command/tester/open", "PRESS"); err != nil {
		t.Fatal(err)
	}
	if err := r.m.Log.WaitFor(ctx, "Denied PUBLISH from"); err != nil {
		t.Fatal(err)
	}
	// Home Assistant's button (tester) opens the door.
	if err := r.m.Publish(ctx, "tester", "tester-pw", "sipbell/test/command/tester/open", "PRESS"); err != nil {
		t.Fatal(err)
	}
	if m := p.await(t, "door opened"); m["who"] != "mqtt:tester" {
		t.Fatalf("door opened by %v, want mqtt:tester", m["who"])
	}
	awaitInOrder(ctx, t, live, `0 sipbell/test/event/door-opened {`, `"who":"mqtt:tester"`)

	// The broker goes away and comes back: sipbell reconnects.
	r.m.Stop()
	r.m.Start(t)
	back := r.m.Subscribe(t, "tester", "tester-pw", "sipbell/test/availability")
	// Live (0) or retained (1), depending on who reached the new broker first.
	awaitInOrder(ctx, t, back, " sipbell/test/availability online\n")

	// Killed: the broker publishes the will.
	p.cmd.Process.Kill()
	awaitInOrder(ctx, t, back, " sipbell/test/availability online\n", "0 sipbell/test/availability offline\n")
}

// checkDiscovery checks the doorbell entity's config against Home
// Assistant's MQTT event schema.
func checkDiscovery(t *testing.T, log, prefix string) {
	t.Helper()
	i := strings.Index(log, prefix)
	line := log[i+len(prefix):]
	line = line[:strings.IndexByte(line, '\n')]
	var c struct {
		DeviceClass  string   `json:"device_class"`
		EventTypes   []string `json:"event_types"`
		StateTopic   string   `json:"state_topic"`
		UniqueID     string   `json:"unique_id"`
		Availability string   `json:"availability_topic"`
		Device       struct {
			Identifiers []string `json:"identifiers"`
			Model       string   `json:"model"`
			SWVersion   string   `json:"sw_version"`
		} `json:"device"`
	}
	if err := json.Unmarshal([]byte(line), &c); err != nil {
		t.Fatalf("discovery config %q: %v", line, err)
	}
	if c.DeviceClass != "doorbell" || len(c.EventTypes) != 1 || c.StateTopic != "sipbell/test/button/1" ||
		c.UniqueID == "" || c.Availability != "sipbell/test/availability" || len(c.Device.Identifiers) != 1 ||
		c.Device.Model == "" || c.Device.SWVersion == "" {
		t.Fatalf("discovery config %+v", c)
	}
}

// TestMQTTDiscoveryRemoved: sipbell stopped cleanly marks itself offline;
// started again with discovery off, it empties the retained discovery
// configs, so Home Assistant removes the device's entities.
func TestMQTTDiscoveryRemoved(t *testing.T) {
	t.Parallel()
	r := &mqttRig{m: startTestMosquitto(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	live := r.m.Subscribe(t, "tester", "tester-pw", "sipbell/test/availability", "homeassistant/#")
	p := r.start(t, true)
	cfg := "0 homeassistant/button/sipbell_test/relay1/config {"
	awaitInOrder(ctx, t, live, cfg, "0 sipbell/test/availability online\n")
	if code := p.stop(t); code != 0 {
		t.Fatalf("sipbell exited %d", code)
	}
	awaitInOrder(ctx, t, live, "0 sipbell/test/availability offline\n")
	r.start(t, false)
	awaitInOrder(ctx, t, live, "0 sipbell/test/availability offline\n",
		"0 homeassistant/button/sipbell_test/relay1/config \n", "0 sipbell/test/availability online\n")
	// A subscriber arriving now gets no config: only the retained
	// availability marker it also asked for.
	late := r.m.Subscribe(t, "tester", "tester-pw", "homeassistant/#", "sipbell/test/availability")
	if err := late.WaitFor(ctx, "1 sipbell/test/availability online\n"); err != nil {
		t.Fatal(err)
	}
	if s := late.String(); strings.Contains(s, "homeassistant/") {
		t.Fatalf("discovery configs still retained:\n%s", s)
	}
}
