package main

import (
	"fmt"
	"testing"
	"time"
)

// TestDNDZoneBinary: device.dnd's window reads in device.time_zone when
// device.door.access.time_zone is empty, and an explicit access zone
// wins. The window spans the present hour in UTC+12 (Etc/GMT-12), so it
// is open there and closed in UTC, 12 hours away: a press calls the
// fallback (do-not-disturb) in the device's zone, the button's target in
// UTC.
func TestDNDZoneBinary(t *testing.T) {
	t.Parallel()
	zone, err := time.LoadLocation("Etc/GMT-12")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(zone)
	window := fmt.Sprintf(`{from: "%s", until: "%s"}`, now.Add(-time.Hour).Format("15:04"), now.Add(time.Hour).Format("15:04"))
	for _, tc := range []struct {
		name, access, want string
	}{
		{"device zone", "", "do-not-disturb: calling the fallback"},
		{"access zone wins", "\n    access:\n      time_zone: UTC", "button pressed: calling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
device:
  time_zone: Etc/GMT-12
  buttons:
    - targets: ["sip:resident@127.0.0.1:9"]
  dnd:
    windows: [%s]
    fallback: ["sip:caretaker@127.0.0.1:9"]
  door:
    relay_pulse: 1s%s
`, window, tc.access))
			p.await(t, "door station ready")
			fmt.Fprintf(p.stdin, "1\n")
			if got := p.awaitOneOf(t, "do-not-disturb: calling the fallback", "button pressed: calling"); got != tc.want {
				t.Fatalf("the press: %q, want %q (window %s in UTC+12)", got, tc.want, window)
			}
		})
	}
}

// awaitOneOf returns the msg of the first log line whose msg is one of
// msgs (awaited, not timed: the deadline is generous).
func (p *proc) awaitOneOf(t *testing.T, msgs ...string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatalf("sipbell exited before logging one of %q", msgs)
			}
			for _, msg := range msgs {
				if m["msg"] == msg {
					return msg
				}
			}
		case <-deadline:
			t.Fatalf("no log line of %q", msgs)
		}
	}
}
