// Package alsaname reads the ALSA PCM device names sipbell can open
// itself: "hw:<card>[,<device>]" with the card given by number or by id
// ("hw:1,0", "hw:CARD=wm8960soundcard,DEV=0", "hw:Headphones"), or a PCM
// device node "/dev/snd/pcmC<card>D<device>{p,c}". sipbell talks to the
// kernel directly (no alsa-lib), so alsa-lib plugin names such as
// "plughw:1,0", "default" or "dmix" do not exist for it.
//
// It is the one check shared by the configuration (audio.capture,
// audio.playback, board.audio.*) and the ALSA layer that opens the name,
// so that what validates is what opens.
package alsaname

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrBadName is wrapped by every error Parse returns.
var ErrBadName = errors.New("not an ALSA device sipbell can open")

// Name is a parsed device name.
type Name struct {
	// Path is the device node when the name was one ("" otherwise).
	Path string
	// Card is the card number, or -1 when the card is named by CardID.
	Card int
	// CardID is the card's id ("wm8960soundcard") when named by id.
	CardID string
	// Device is the PCM device number on the card.
	Device int
}

var nodeRE = regexp.MustCompile(`^/dev/snd/pcmC([0-9]+)D([0-9]+)([pc])$`)

// Parse reads name as the device of one direction (capture true: the
// microphone, false: the speaker). A device node must be of that
// direction ("/dev/snd/pcmC0D0c" is a capture node).
func Parse(name string, capture bool) (Name, error) {
	if strings.HasPrefix(name, "/") {
		m := nodeRE.FindStringSubmatch(name)
		if m == nil {
			return Name{}, fmt.Errorf("%q: %w: a device node is /dev/snd/pcmC<card>D<device>p (playback) or ...c (capture)", name, ErrBadName)
		}
		want := "p"
		if capture {
			want = "c"
		}
		if m[3] != want {
			return Name{}, fmt.Errorf("%q: %w: this is a %s node; %s needs the one ending in %q", name, ErrBadName,
				direction(m[3] == "c"), direction(capture), want)
		}
		c, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		if c > 31 || d > 31 {
			return Name{}, fmt.Errorf("%q: %w: card and device must be 0..31", name, ErrBadName)
		}
		return Name{Path: name, Card: c, Device: d}, nil
	}
	rest, ok := strings.CutPrefix(name, "hw:")
	if !ok {
		if plugin, args, found := strings.Cut(name, ":"); found && plugin == "plughw" {
			return Name{}, fmt.Errorf("%q: %w: plughw is an alsa-lib plugin; sipbell opens the card itself and converts rate and channels on its own: write hw:%s", name, ErrBadName, args)
		}
		return Name{}, fmt.Errorf("%q: %w: want hw:<card>,<device> (card by number 0..31 or by id, see /proc/asound/cards) or /dev/snd/pcmC<card>D<device>%s; alsa-lib names such as plughw, default or dmix are not available", name, ErrBadName, dirLetter(capture))
	}
	card, dev, found := strings.Cut(rest, ",")
	card, dev = strings.TrimPrefix(card, "CARD="), strings.TrimPrefix(dev, "DEV=")
	if !found {
		dev = "0"
	}
	d, err := strconv.Atoi(dev)
	if err != nil || d < 0 || d > 31 {
		return Name{}, fmt.Errorf("%q: %w: device must be a number 0..31", name, ErrBadName)
	}
	if c, err := strconv.Atoi(card); err == nil {
		if c < 0 || c > 31 {
			return Name{}, fmt.Errorf("%q: %w: card must be a number 0..31", name, ErrBadName)
		}
		return Name{Card: c, Device: d}, nil
	}
	if !ValidCardID(card) {
		return Name{}, fmt.Errorf("%q: %w: card must be a number 0..31 or a card id (letters, digits, _ and -; see /proc/asound/cards)", name, ErrBadName)
	}
	return Name{Card: -1, CardID: card, Device: d}, nil
}

// ValidCardID reports whether id can name an ALSA card (letters, digits,
// '_' and '-', at most 31), as in "hw:CARD=<id>,DEV=0".
func ValidCardID(id string) bool {
	if id == "" || len(id) > 31 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func direction(capture bool) string {
	if capture {
		return "capture"
	}
	return "playback"
}

func dirLetter(capture bool) string {
	if capture {
		return "c"
	}
	return "p"
}
