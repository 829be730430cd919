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

// TestOneLinePerEvent walks a door call as an installer reads it (issue
// 12 item 9): the sipbell binary registers with a real Kamailio, a press
// calls a real baresip, which rings, answers and hangs up. The log says
// each thing once, from the door station, with its details (no second
// "registration"/"call" line from the SIP layer, no "input" line from
// the board for a press the door station reports; a PBX without presence
// is reported once, not a warning per PUBLISH retry), and the simulated
// board's terminal shows the ringing call LED as one "call LED fast
// blink" line, not a line per toggle.
func TestOneLinePerEvent(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  buttons:
    - targets: [alice]
      ring_timeout: 30s
provisioning:
  state_dir: %s
  admin:
    listen: ""
`, k.UDP, interop.Password, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	p.press(t, 1)
	if err := alice.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "ringing", map[string]string{"targets": "alice"})
	if _, err := alice.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"peer": "alice"})
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call ended", nil)

	// The terminal: the call LED's lines from the press to the answer.
	var led []string
	for done := false; !done; {
		select {
		case l := <-p.out:
			if strings.HasPrefix(l.text, "call LED") {
				led = append(led, l.text)
				done = l.text == "call LED on"
			}
		case <-ctx.Done():
			t.Fatalf("no \"call LED on\" after the answer; call LED lines %q", led)
		}
	}
	if want := []string{"call LED fast blink", "call LED on"}; strings.Join(led, "|") != strings.Join(want, "|") {
		t.Errorf("call LED lines while ringing and answered: %q, want %q", led, want)
	}

	// The log, as written so far: one line per event, with its fields.
	p.mu.Lock()
	all := p.all.String()
	p.mu.Unlock()
	count := map[string]int{}
	fields := map[string]map[string]any{}
	for _, line := range strings.Split(all, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		msg, _ := m["msg"].(string)
		count[msg]++
		fields[msg] = m
	}
	// This Kamailio has no presence module (it answers PUBLISH 501): said
	// once, not a warning per retry.
	const noPresence = "presence: the PBX does not take presence; publishing stopped until the configuration changes or sipbell restarts"
	for msg, want := range map[string]int{"registered": 1, "button pressed: calling": 1, "ringing": 1,
		"call answered": 1, "call ended": 1, "registration": 0, "call": 0, "input": 0,
		noPresence: 1, "presence: publish failed": 0} {
		if count[msg] != want {
			t.Errorf("%d %q lines, want %d", count[msg], msg, want)
		}
	}
	for msg, keys := range map[string][]string{"registered": {"account", "reason"}, "ringing": {"targets", "call"},
		"call answered": {"peer", "incoming", "call"}, "call ended": {"peer", "reason", "call"}} {
		for _, k := range keys {
			if _, ok := fields[msg][k]; !ok {
				t.Errorf("%q line lacks %q: %v", msg, k, fields[msg])
			}
		}
	}
	t.Logf("%d log lines from start to hang-up; registered: %v", strings.Count(all, "\n"), fields["registered"])
}
