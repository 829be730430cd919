package main

import (
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// doorCalls lets the user agent hold the monitoring call beside the
// visitor call when device.door.monitor is on (sip.max_calls at least 2).
func doorCalls(cfg *provisioning.File) {
	if cfg.Device.Mode != device.ModeATA && cfg.Device.Door.Monitor && cfg.SIP.MaxCalls < 2 {
		cfg.SIP.MaxCalls = 2
	}
}
