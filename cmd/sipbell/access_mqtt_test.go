package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// mqttDoor is the sipbell binary on the sim board connected to a real
// Mosquitto over TLS, watched by mosquitto_sub (live: the door's topics
// and Home Assistant's).
type mqttDoor struct {
	ctx  context.Context
	r    *mqttRig
	live *interop.Log
	p    *proc
}

// startMQTTDoor starts Mosquitto, mosquitto_sub and sipbell with the
// YAML device section device (its lines indented under "device:");
// tester may send commands and is Home Assistant's user.
func startMQTTDoor(t *testing.T, device string) *mqttDoor {
	t.Helper()
	binary(t) // built before the clock starts
	r := &mqttRig{m: startTestMosquitto(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	live := r.m.Subscribe(t, "tester", "tester-pw", "sipbell/test/#", "homeassistant/#")
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
device:
%s
notify:
  mqtt:
    broker: mqtts://127.0.0.1:%d
    user: door
    password: door-pw
    ca_file: %s
    topic: sipbell/test
    commands: [tester]
    home_assistant:
      discovery: true
      user: tester
`, device, r.m.TLSPort, r.m.CA.CertFile))
	return &mqttDoor{ctx: ctx, r: r, live: live, p: p}
}

// publish sends payload to topic as user (password user-pw).
func (d *mqttDoor) publish(t *testing.T, user, topic, payload string) {
	t.Helper()
	if err := d.r.m.Publish(d.ctx, user, user+"-pw", topic, payload); err != nil {
		t.Fatal(err)
	}
}

// TestMQTTTamperAndDoorContactBinary (issue 20): on the real binary, a
// real Mosquitto and mosquitto_sub/mosquitto_pub: Home Assistant gets a
// tamper and a door binary_sensor for the sim board's wired tamper switch
// and door contact; state/door follows the contact as it opens (not only
// the left-open alarm) and closes; the housing opened gives the tamper
// event and state, and blocks an MQTT open command (door.tamper_block);
// closed again, tamper-cleared and state off.
func TestMQTTTamperAndDoorContactBinary(t *testing.T) {
	t.Parallel()
	d := startMQTTDoor(t, `  door:
    relay_pulse: 1s
    left_open_alarm: 1h
    tamper_block: 1h`)
	ctx, live, p := d.ctx, d.live, d.p
	awaitInOrder(ctx, t, live, "0 homeassistant/binary_sensor/sipbell_test/door1/config {",
		"0 homeassistant/binary_sensor/sipbell_test/tamper/config {", "0 sipbell/test/availability online\n")
	awaitInOrder(ctx, t, live, `"device_class":"tamper"`, `"state_topic":"sipbell/test/state/tamper"`)

	fmt.Fprintf(p.stdin, "d\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/door-contact-open {", "0 sipbell/test/state/door open\n")
	fmt.Fprintf(p.stdin, "d\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/state/door open\n", "0 sipbell/test/event/door-closed {",
		"0 sipbell/test/state/door closed\n")

	fmt.Fprintf(p.stdin, "t\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/tamper {", "0 sipbell/test/state/tamper on\n")
	p.await(t, "tamper alarm: the housing was opened")
	d.publish(t, "tester", "sipbell/test/command/tester/open", "PRESS")
	if m := p.await(t, "door not opened: the relays are blocked after a tamper alarm"); m["who"] != "mqtt:tester" {
		t.Fatalf("refused for %v, want mqtt:tester", m["who"])
	}
	fmt.Fprintf(p.stdin, "t\n")
	awaitInOrder(ctx, t, live, "0 sipbell/test/state/tamper on\n", "0 sipbell/test/event/tamper-cleared {",
		"0 sipbell/test/state/tamper off\n")
	if s := live.String(); strings.Contains(s, "event/door-opened") {
		t.Fatalf("the door opened while blocked:\n%s", s)
	}
}

// TestMQTTDoNotDisturbBinary (issue 20): Home Assistant's DND switch
// (a retained discovery config), switched by mosquitto_pub as the
// allowed user: state/dnd ON, a press then calls the fallback instead of
// the button's target; the sim board's DND switch off and on again
// reports through the same state; a stranger's dnd is refused.
func TestMQTTDoNotDisturbBinary(t *testing.T) {
	t.Parallel()
	d := startMQTTDoor(t, `  buttons:
    - targets: ["sip:resident@127.0.0.1:9"]
  dnd:
    fallback: ["sip:caretaker@127.0.0.1:9"]`)
	ctx, live, p := d.ctx, d.live, d.p
	awaitInOrder(ctx, t, live, "0 homeassistant/switch/sipbell_test/dnd/config {", "0 sipbell/test/availability online\n")
	awaitInOrder(ctx, t, live, `"command_topic":"sipbell/test/command/tester/dnd"`)

	d.publish(t, "tester", "sipbell/test/command/tester/dnd", "ON")
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/dnd {", "0 sipbell/test/state/dnd ON\n")
	fmt.Fprintf(p.stdin, "1\n")
	if m := p.await(t, "do-not-disturb: calling the fallback"); !strings.Contains(fmt.Sprint(m["targets"]), "caretaker") {
		t.Fatalf("fallback call to %v", m["targets"])
	}
	awaitInOrder(ctx, t, live, `0 sipbell/test/event/rang {`, `caretaker`)
	d.publish(t, "tester", "sipbell/test/command/tester/dnd", "OFF")
	awaitInOrder(ctx, t, live, "0 sipbell/test/state/dnd ON\n", "0 sipbell/test/state/dnd OFF\n")

	fmt.Fprintf(p.stdin, "n\n") // the switch
	awaitInOrder(ctx, t, live, "0 sipbell/test/state/dnd OFF\n", "0 sipbell/test/state/dnd ON\n")
	d.publish(t, "intruder", "sipbell/test/command/intruder/dnd", "OFF")
	if m := p.await(t, "mqtt: command refused"); m["user"] != "intruder" {
		t.Fatalf("refused %v, want intruder", m["user"])
	}
}

// TestMQTTRelayBinary (issue 20): each relay after the door's gets a
// Home Assistant button whose command topic (open/N) opens that relay
// on the sim board, as the allowed user; a stranger's open/2 is refused
// and a relay the door lacks opens nothing.
func TestMQTTRelayBinary(t *testing.T) {
	t.Parallel()
	d := startMQTTDoor(t, `  door:
    relay_pulse: 1s
    relays:
      - name: gate
        pulse: 300ms`)
	ctx, live, p := d.ctx, d.live, d.p
	awaitInOrder(ctx, t, live, "0 homeassistant/button/sipbell_test/relay2/config {", `"name":"Open gate"`,
		"0 sipbell/test/availability online\n")
	awaitInOrder(ctx, t, live, "homeassistant/button/sipbell_test/relay2/config",
		`"command_topic":"sipbell/test/command/tester/open/2"`)

	d.publish(t, "intruder", "sipbell/test/command/intruder/open/2", "PRESS")
	if m := p.await(t, "mqtt: command refused"); m["user"] != "intruder" {
		t.Fatalf("refused %v, want intruder", m["user"])
	}
	d.publish(t, "tester", "sipbell/test/command/tester/open/3", "PRESS")
	if m := p.await(t, "mqtt: command failed"); !strings.Contains(fmt.Sprint(m["err"]), "no such relay") {
		t.Fatalf("open/3: %v", m)
	}
	d.publish(t, "tester", "sipbell/test/command/tester/open/2", "PRESS")
	if m := p.await(t, "door opened"); m["who"] != "mqtt:tester" || fmt.Sprint(m["relay"]) != "2" {
		t.Fatalf("opened %v", m)
	}
	awaitInOrder(ctx, t, live, "0 sipbell/test/event/door-opened {", `"who":"mqtt:tester"`)
	if s := live.String(); strings.Count(s, "event/door-opened") != 1 {
		t.Fatalf("the refused commands opened a relay:\n%s", s)
	}
}

// TestMQTTDoNotDisturbScheduleBinary (issue 20): with a device.dnd
// window open (all day), sipbell publishes state/dnd ON from the start,
// (retained) which Home Assistant's switch shows; the window is the
// reason (sipbell logs it on by schedule).
func TestMQTTDoNotDisturbScheduleBinary(t *testing.T) {
	t.Parallel()
	d := startMQTTDoor(t, `  dnd:
    windows:
      - {from: "00:00", until: "23:59"}
      - {from: "23:59", until: "00:00"}`)
	if m := d.p.await(t, "do-not-disturb on"); m["by"] != "schedule" {
		t.Fatalf("do-not-disturb on by %v, want schedule", m["by"])
	}
	awaitInOrder(d.ctx, t, d.live, "homeassistant/switch/sipbell_test/dnd/config {")
	awaitInOrder(d.ctx, t, d.live, "sipbell/test/state/dnd ON\n")
}
