package alsaname

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		capture bool
		want    Name
		err     string // part of the error; "" = valid
	}{
		{"hw:0,0", false, Name{Card: 0, Device: 0}, ""},
		{"hw:1,2", true, Name{Card: 1, Device: 2}, ""},
		{"hw:3", true, Name{Card: 3}, ""},
		{"hw:CARD=wm8960soundcard,DEV=0", true, Name{Card: -1, CardID: "wm8960soundcard"}, ""},
		{"hw:Headphones", false, Name{Card: -1, CardID: "Headphones"}, ""},
		{"/dev/snd/pcmC0D1p", false, Name{Path: "/dev/snd/pcmC0D1p", Device: 1}, ""},
		{"/dev/snd/pcmC2D0c", true, Name{Path: "/dev/snd/pcmC2D0c", Card: 2}, ""},
		{"/dev/snd/pcmC0D0c", false, Name{}, "this is a capture node; playback needs the one ending in \"p\""},
		{"/dev/snd/pcmC0D0p", true, Name{}, "this is a playback node"},
		{"/dev/snd/pcmC40D0p", false, Name{}, "0..31"},
		{"/dev/dsp", true, Name{}, "a device node is /dev/snd/pcmC"},
		{"plughw:1,0", false, Name{}, "plughw is an alsa-lib plugin; sipbell opens the card itself and converts rate and channels on its own: write hw:1,0"},
		{"plughw:CARD=x,DEV=0", true, Name{}, "write hw:CARD=x,DEV=0"},
		{"default", false, Name{}, "alsa-lib names such as plughw, default or dmix are not available"},
		{"sysdefault:CARD=x", true, Name{}, "want hw:<card>,<device>"},
		{"hw:x y,0", false, Name{}, "card must be a number 0..31 or a card id"},
		{"hw:0,99", false, Name{}, "device must be a number 0..31"},
		{"hw:32,0", false, Name{}, "card must be a number 0..31"},
		{"hw:0,x", false, Name{}, "device must be a number"},
	}
	for _, tc := range tests {
		got, err := Parse(tc.name, tc.capture)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("Parse(%q, %t) = %+v, %v; want %+v", tc.name, tc.capture, got, err, tc.want)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Parse(%q, %t) = %v; want ErrBadName containing %q", tc.name, tc.capture, err, tc.err)
		}
	}
}

func TestValidCardID(t *testing.T) {
	for id, ok := range map[string]bool{"wm8960soundcard": true, "Device_1-a": true, "": false,
		"a b": false, "ü": false, strings.Repeat("a", 32): false, strings.Repeat("a", 31): true} {
		if ValidCardID(id) != ok {
			t.Errorf("ValidCardID(%q) = %t", id, !ok)
		}
	}
}
