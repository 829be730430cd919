package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMixerOnTheBinary: audio.mixer on the binary. This machine has no
// sound card (the mixer's ioctls are checked on real kernels by
// scripts/alsakernel): a card that is not there is logged with the reason
// and the door station runs on; a speaker that is a WAV file has no mixer.
func TestMixerOnTheBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, msg, field, want string }{
		{"card missing", "sound card mixer unavailable: volume and gain not set", "card", "hw:29"},
		{"no sound card", "audio.mixer is set but there is no sound card to set it on", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := "  mixer:\n    card: hw:29\n" // no card 29 here
			if tc.name == "no sound card" {
				a = "  playback: " + filepath.Join(dir, "speaker.wav") + "\n  mixer:\n"
			}
			cfg := "sip:\n  listen: 127.0.0.1:0\naudio:\n" + a + "    controls:\n      - name: Speaker Playback Volume\n        value: 80%\n" +
				"provisioning:\n  state_dir: " + filepath.Join(dir, "state") + "\n  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: " + liveDoorPassword + "\n"
			path := filepath.Join(dir, "sipbell.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			p := startFile(t, nil, path)
			m := p.await(t, tc.msg)
			if tc.field != "" && m[tc.field] != tc.want {
				t.Errorf("%s: %v, want %s=%s", tc.msg, m, tc.field, tc.want)
			}
			p.await(t, "ready")
		})
	}
}
