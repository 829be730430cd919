package main

import (
	"testing"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// TestDoorCallsForMonitor: device.door.monitor raises sip.max_calls to 2
// in door mode (else the user agent answers the second call 486 before
// the door station sees it); off, or a larger limit, stays as configured.
func TestDoorCallsForMonitor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode      string
		monitor   bool
		max, want int
	}{
		{device.ModeDoor, true, 1, 2},
		{device.ModeDoor, false, 1, 1},
		{device.ModeDoor, true, 3, 3},
		{device.ModeATA, true, 1, 1},
	} {
		cfg := provisioning.Default()
		cfg.Device.Mode, cfg.Device.Door.Monitor, cfg.SIP.MaxCalls = tc.mode, tc.monitor, tc.max
		doorCalls(&cfg)
		if cfg.SIP.MaxCalls != tc.want {
			t.Errorf("mode %s monitor %v max_calls %d: now %d, want %d", tc.mode, tc.monitor, tc.max, cfg.SIP.MaxCalls, tc.want)
		}
	}
}
