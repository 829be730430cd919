package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigRefusesWhatTheDeviceCannotDo runs the sipbell binary's
// -check-config on files that each section accepts alone but the device
// could not run: a bare-user button target with no account to call through
// (it would fail at the press), a button the board has no pin for, and an
// alsa-lib device name (plughw) in
// board.audio, which the ALSA layer cannot open and audio.capture refuses
// too. Each problem is named by file, line and field path; the corrected
// files pass.
func TestCheckConfigRefusesWhatTheDeviceCannotDo(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dir := t.TempDir()
	check := func(name, body string) (int, string, string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-check-config", path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}

	bad := "device:\n  buttons:\n    - targets: [\"2002\"]\n    - targets: [\"sip:2003@192.0.2.7\"]\n" +
		"board:\n  profile: rpi\n  audio:\n    playback: \"plughw:1,0\"\n" +
		"audio:\n  capture: \"plughw:1,0\"\n"
	code, _, stderr := check("bad.yaml", bad)
	if code != 1 {
		t.Fatalf("bad.yaml: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	path := filepath.Join(dir, "bad.yaml")
	for _, want := range []string{
		path + `:3: device.buttons[0].targets[0]: "2002" is a bare user; it needs a sip.accounts entry to call through, or write a full URI sip:2002@host`,
		path + `:4: device.buttons[1]: the board has no call button 2 (board.profile rpi, board.pins.call_buttons[1]): nobody could press it; wire a pin there or remove this entry`,
		path + `:8: board.audio.playback: "plughw:1,0": not an ALSA device sipbell can open: plughw is an alsa-lib plugin; sipbell opens the card itself and converts rate and channels on its own: write hw:1,0`,
		path + `:10: audio.capture: "plughw:1,0": not an ALSA device sipbell can open: plughw is an alsa-lib plugin; sipbell opens the card itself and converts rate and channels on its own: write hw:1,0`,
		path + ": 4 error(s)",
	} {
		if !strings.Contains(stderr, want+"\n") {
			t.Errorf("-check-config output lacks\n  %s\ngot:\n%s", want, stderr)
		}
	}

	good := "sip:\n  accounts:\n    - registrar: pbx.example\n      user: door\n      password: secret\n" +
		"device:\n  buttons:\n    - targets: [\"2002\", \"sip:2003@192.0.2.7\"]\n    - targets: [\"2004\"]\n" +
		"board:\n  profile: rpi\n  pins:\n    call_buttons: [{}, {pin: GPIO6}]\n  audio:\n    playback: \"hw:1,0\"\n" +
		"audio:\n  capture: \"hw:CARD=Device,DEV=0\"\n"
	if code, stdout, stderr := check("good.yaml", good); code != 0 || !strings.HasSuffix(stdout, ": ok\n") {
		t.Fatalf("good.yaml: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}
