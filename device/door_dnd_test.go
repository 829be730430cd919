package device_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestDND: during do-not-disturb (a weekly window, the switch, a
// command) a button rings its fallback or nobody; outside it the button's
// own targets.
func TestDND(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		windows  []device.Window
		fallback []string
		do       func(r *rig)
		calls    []string
		events   []string
	}{
		{name: "off: the button's targets", calls: []string{"dial 1001 → c1"},
			events: []string{"rang button=0 targets=[1001 1002]"}},
		{name: "switch on, no fallback: nobody", do: func(r *rig) { r.input(device.Input{Kind: device.DNDOn}) },
			events: []string{"dnd", "missed button=0 targets=[1001 1002]"}},
		{name: "switch on and off again", do: func(r *rig) {
			r.input(device.Input{Kind: device.DNDOn})
			r.input(device.Input{Kind: device.DNDOff})
		}, calls: []string{"dial 1001 → c1"}, events: []string{"dnd", "dnd", "rang button=0 targets=[1001 1002]"}},
		{name: "command on, fallback", fallback: []string{"caretaker"}, do: func(r *rig) {
			if err := r.d.SetDND(r.ctx(), "mqtt:tester", true); err != nil {
				r.t.Fatal(err)
			}
		}, calls: []string{"dial caretaker → c1"}, events: []string{"dnd", "rang button=0 targets=[caretaker]"}},
		{name: "window covering now (every day, all but a minute)",
			windows: []device.Window{{From: "00:00", Until: "23:59"}, {From: "23:59", Until: "00:00"}},
			events:  []string{"dnd", "missed button=0 targets=[1001 1002]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.DND = device.DNDConfig{Windows: tc.windows, Fallback: tc.fallback}
			r := newRig(t, cfg)
			if tc.do != nil {
				tc.do(r)
			}
			r.press(0)
			r.wantSlice("calls", r.ph.Calls(), tc.calls)
			r.wantSlice("events", r.eventStrings(), tc.events)
		})
	}
}

// TestDNDScheduleReported: device.dnd's windows report do-not-disturb
// as they open and close (by "schedule"), so that MQTT's state and Home
// Assistant's switch follow them; a command while a window is open
// changes nothing to report, and switching it off reports off only
// once the window is closed too.
func TestDNDScheduleReported(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	r := newRig(t, cfg)
	from := r.clk.Now().UTC().Truncate(time.Minute).Add(time.Hour)
	cfg.DND.Windows = []device.Window{{From: from.Format("15:04"), Until: from.Add(time.Hour).Format("15:04")}}
	r.stop()
	r = newRig(t, cfg)
	dnd := func() []string {
		var s []string
		for _, e := range r.events {
			if e.Kind == device.EventDND {
				s = append(s, fmt.Sprintf("%v by %s", e.On, e.Who))
			}
		}
		return s
	}
	r.advance(59 * time.Minute)
	r.wantSlice("before the window", dnd(), nil)
	r.advance(2 * time.Minute)
	r.wantSlice("window open", dnd(), []string{"true by schedule"})
	if err := r.d.SetDND(r.ctx(), "mqtt:tester", true); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Hour)
	r.wantSlice("window closed, command on", dnd(), []string{"true by schedule"})
	if err := r.d.SetDND(r.ctx(), "mqtt:tester", false); err != nil {
		t.Fatal(err)
	}
	r.sync()
	r.wantSlice("command off", dnd(), []string{"true by schedule", "false by mqtt:tester"})
}

// TestDNDScheduleZone: device.dnd's windows read in
// device.door.access.time_zone, else in device.time_zone (the device's
// zone), else in UTC. A window open at 11:30-12:30 in UTC+12 is closed in
// UTC: the rig's clock starts at 12:00 UTC (00:00 in UTC+12).
func TestDNDScheduleZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, device, access string
		on                   bool
	}{
		{"device zone", "Etc/GMT-12", "", true},
		{"access zone wins", "Etc/GMT-12", "UTC", false},
		{"access zone alone", "", "Etc/GMT-12", true},
		{"neither: UTC", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.TimeZone, cfg.Door.Access.TimeZone = tc.device, tc.access
			cfg.DND.Windows = []device.Window{{From: "23:30", Until: "00:30"}}
			r := newRig(t, cfg)
			st, err := r.d.Status(r.ctx())
			if err != nil {
				t.Fatal(err)
			}
			if st.DND != tc.on {
				t.Fatalf("do-not-disturb at 12:00 UTC: %v, want %v (events %v)", st.DND, tc.on, r.eventStrings())
			}
		})
	}
}
