package alsa

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/alsaname"
)

// Errors callers can test for with errors.Is.
var (
	// ErrBusy means another process holds the device ("device or
	// resource busy"). Open retries it with backoff until its context ends.
	ErrBusy = errors.New("alsa: device busy (another process holds it)")
	// ErrNoDevice means the device node does not exist or was unplugged.
	ErrNoDevice = errors.New("alsa: no such device")
	// ErrUnsupported means this platform has no ALSA support here.
	ErrUnsupported = errors.New("alsa: not supported on this platform")
	// ErrFormat means the device offers no configuration sipbell can use.
	ErrFormat = errors.New("alsa: no usable format")
)

// Stream is the direction of a PCM.
type Stream int

// The two stream directions.
const (
	Playback Stream = iota
	Capture
)

func (s Stream) String() string {
	if s == Capture {
		return "capture"
	}
	return "playback"
}

// Params are PCM hardware parameters: asked for on open, and what the
// device granted afterwards.
type Params struct {
	Rate         int // frames per second
	Channels     int // 1 or 2
	PeriodFrames int // frames per period (one wake-up)
	Periods      int // periods in the ring buffer
}

// Options configure Open.
type Options struct {
	// Device is an ALSA hardware name, "hw:<card>,<device>" or "hw:<card>",
	// or a device node path such as /dev/snd/pcmC0D0p.
	Device string
	// Rate is the native rate to ask the codec for (default 48000). If it
	// is not offered, the nearest of 48000, 44100, 16000, 8000 (then any
	// rate) within the codec's range is used.
	Rate int
	// Channels to ask for (default 1; falls back to 2 for codecs that
	// only do stereo, as most I2S codecs do).
	Channels int
	// Period is the time between wake-ups (default 20 ms); Periods the
	// ring buffer length in periods (default 4).
	Period  time.Duration
	Periods int
	// CallRate is the rate the device's Read and Write take samples at
	// (8000, or 16000 for wideband calls; 0 means audio.SampleRate): the
	// device resamples between it and Rate.
	CallRate int
}

// DevicePath returns the device node for an ALSA name and direction:
// "hw:1,0" with Capture is /dev/snd/pcmC1D0c. The card may also be named
// by its id, as "hw:CARD=wm8960soundcard,DEV=0" or "hw:wm8960soundcard,0"
// (ids are listed in /proc/asound/cards; card numbers can change from boot
// to boot when USB cards come and go, ids do not). A device node of the
// stream's direction (/dev/snd/pcmC1D0c for Capture) is returned
// unchanged. The names it takes are exactly those the configuration
// accepts (internal/alsaname); alsa-lib plugins such as plughw are not.
func DevicePath(name string, s Stream) (string, error) {
	return devicePath("/proc/asound", name, s)
}

func devicePath(procAsound, name string, s Stream) (string, error) {
	n, err := alsaname.Parse(name, s == Capture)
	if err != nil {
		return "", fmt.Errorf("alsa: device %w", err)
	}
	if n.Path != "" {
		return n.Path, nil
	}
	c := n.Card
	if n.CardID != "" {
		if c, err = cardIndex(procAsound, n.CardID); err != nil {
			return "", fmt.Errorf("alsa: device %q: no sound card %q (see /proc/asound/cards): %w", name, n.CardID, ErrNoDevice)
		}
		if c < 0 || c > 31 {
			return "", fmt.Errorf("alsa: device %q: card %q is number %d, outside 0..31: %w", name, n.CardID, c, ErrNoDevice)
		}
	}
	dir := "p"
	if s == Capture {
		dir = "c"
	}
	return fmt.Sprintf("/dev/snd/pcmC%dD%d%s", c, n.Device, dir), nil
}

// cardIndex resolves a card id through the /proc/asound/<id> symlink,
// which points at "cardN".
func cardIndex(procAsound, id string) (int, error) {
	target, err := os.Readlink(filepath.Join(procAsound, id))
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(filepath.Base(target), "card")
	if !ok {
		return 0, fmt.Errorf("unexpected link %s -> %s", id, target)
	}
	return strconv.Atoi(n)
}
