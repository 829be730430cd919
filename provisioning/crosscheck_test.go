package provisioning

import (
	"errors"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// TestValidationMatchesRuntime: what the file accepts is what the device
// can do. A bare-user button target needs an account to call through (the
// user agent refuses it at the press otherwise), and an ALSA name is
// checked the same way wherever it is written (audio.* and board.audio.*),
// by the check the ALSA layer opens it with.
func TestValidationMatchesRuntime(t *testing.T) {
	const account = "sip:\n  accounts:\n    - registrar: pbx.example\n      user: door\n      password: pw\n"
	for _, tc := range []struct {
		name string
		yaml string
		want []string // each error's "line N: path: msg" prefix; none: valid
	}{
		{"bare user without account", "device:\n  buttons:\n    - targets: [\"2002\"]\n", []string{
			`line 3: device.buttons[0].targets[0]: "2002" is a bare user; it needs a sip.accounts entry to call through, or write a full URI sip:2002@host`}},
		{"second button, second target", "device:\n  buttons:\n    - targets: [\"sip:a@h\"]\n    - targets:\n        - bob@pbx\n        - \"2003\"\n",
			[]string{`line 6: device.buttons[1].targets[1]: "2003" is a bare user`}},
		{"bare user with an account", account + "device:\n  buttons:\n    - targets: [\"2002\"]\n", nil},
		{"full URIs without account", "device:\n  buttons:\n    - targets: [\"sip:2002@192.0.2.1:5060\", \"alice@pbx.example\"]\n", nil},
		{"target already refused by its section", "device:\n  buttons:\n    - targets: [\"sip:@pbx\"]\n",
			[]string{`line 3: device.buttons[0].targets[0]: needs a user part`}},
		{"plughw in board.audio", "board:\n  profile: rpi\n  audio:\n    playback: \"plughw:1,0\"\n",
			[]string{`line 4: board.audio.playback: "plughw:1,0": not an ALSA device sipbell can open: plughw is an alsa-lib plugin`}},
		{"plughw in audio", "audio:\n  capture: \"plughw:1,0\"\n",
			[]string{`line 2: audio.capture: "plughw:1,0": not an ALSA device sipbell can open: plughw is an alsa-lib plugin`}},
		{"hw by number and id in both", "board:\n  profile: rpi\n  audio:\n    playback: \"hw:1,0\"\n    capture: \"hw:CARD=Device,DEV=0\"\naudio:\n  playback: hw:Headphones\n", nil},
		{"button the board does not have", "board:\n  profile: rpi\ndevice:\n  buttons:\n    - targets: [\"sip:a@h\"]\n    - targets: [\"sip:b@h\"]\n",
			[]string{`line 6: device.buttons[1]: the board has no call button 2 (board.profile rpi, board.pins.call_buttons[1]): nobody could press it`}},
		{"button unwired with none", "board:\n  pins:\n    call_buttons: [{}, {pin: none}]\ndevice:\n  buttons:\n    - targets: []\n    - targets: [\"sip:b@h\"]\n",
			[]string{`line 7: device.buttons[1]: the board has no call button 2 (board.profile sim`}},
		{"extra entry without targets", "board:\n  profile: rpi\ndevice:\n  buttons:\n    - targets: [\"sip:a@h\"]\n    - targets: []\n", nil},
		{"extra button wired", "board:\n  profile: rpi\n  pins:\n    call_buttons: [{}, {pin: GPIO6}]\ndevice:\n  buttons:\n    - targets: [\"sip:a@h\"]\n    - targets: [\"sip:b@h\"]\n", nil},
		{"door code without relay", "board:\n  pins:\n    door_relays: [{pin: none}]\ndevice:\n  door:\n    code: \"#\"\n",
			[]string{`line 6: device.door.code: "#" would open the door through door relay 1, which the board does not wire`}},
		{"analog phone: no door, no buttons to check", "board:\n  pins:\n    door_relays: [{pin: none}]\ndevice:\n  mode: ata\n  door:\n    code: \"#\"\n", nil},
		{"no code, no relay", "board:\n  pins:\n    door_relays: [{pin: none}]\ndevice:\n  door:\n    code: \"\"\n", nil},
		{"capture node as playback", "board:\n  profile: rpi\n  audio:\n    playback: /dev/snd/pcmC1D0c\n",
			[]string{`line 4: board.audio.playback: "/dev/snd/pcmC1D0c": not an ALSA device sipbell can open: this is a capture node`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var l cfgerr.List
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &l) {
				t.Fatalf("Parse = %v, want a field error list", err)
			}
			if len(l) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(l), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(l[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, l[i].Error(), w)
				}
			}
		})
	}
}
