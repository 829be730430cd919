package main

import (
	"testing"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// TestDeviceRate: the door's speaker and microphone run at 16 kHz when
// G722 is listed, the analog phone always at 8 kHz.
func TestDeviceRate(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		codecs []string
		want   int
	}{
		{device.ModeDoor, []string{"PCMU", "PCMA"}, 8000},
		{device.ModeDoor, []string{"g722", "PCMU"}, 16000},
		{device.ModeDoor, []string{"PCMA", "G722"}, 16000},
		{device.ModeATA, []string{"G722", "PCMU"}, 8000},
	} {
		var cfg provisioning.File
		cfg.Device.Mode, cfg.Media.Codecs = tc.mode, tc.codecs
		if got := deviceRate(cfg); got != tc.want {
			t.Errorf("deviceRate(%s, %v) = %d, want %d", tc.mode, tc.codecs, got, tc.want)
		}
	}
}
