//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
)

var (
	_ audio.Source = (*CaptureDevice)(nil)
	_ audio.Sink   = (*PlaybackDevice)(nil)
	_ audio.Source = (*PCM)(nil)
	_ audio.Sink   = (*PCM)(nil)
)

func clk() *audiotest.Clock { return audiotest.NewClock(time.Unix(0, 0)) }

func TestNegotiation(t *testing.T) {
	tests := []struct {
		name string
		card func(*fakeCard)
		opt  Options
		want Params
	}{
		{"exact 48k mono", nil, Options{Device: "hw:0,0"},
			Params{Rate: 48000, Channels: 1, PeriodFrames: 960, Periods: 4}},
		{"8k offered", nil, Options{Device: "hw:0", Rate: 8000, Period: 10 * time.Millisecond, Periods: 3},
			Params{Rate: 8000, Channels: 1, PeriodFrames: 80, Periods: 3}},
		{"stereo-only codec at 48k/44.1k, asked 16k", func(c *fakeCard) {
			c.channels, c.rates = []uint32{2}, []uint32{44100, 48000}
		}, Options{Device: "hw:1,0", Rate: 16000},
			Params{Rate: 44100, Channels: 2, PeriodFrames: 882, Periods: 4}},
		{"continuous range", func(c *fakeCard) {
			c.rates, c.rateRange = nil, [2]uint32{4000, 96000}
		}, Options{Device: "hw:0,0", Rate: 16000},
			Params{Rate: 16000, Channels: 1, PeriodFrames: 320, Periods: 4}},
		{"range above preferred rates", func(c *fakeCard) {
			c.rates, c.rateRange = nil, [2]uint32{88200, 96000}
		}, Options{Device: "hw:0,0"},
			Params{Rate: 88200, Channels: 1, PeriodFrames: 1764, Periods: 4}},
		{"period must be a multiple of 128: next one up", func(c *fakeCard) {
			c.periodStep = 128
		}, Options{Device: "hw:0,0"},
			Params{Rate: 48000, Channels: 1, PeriodFrames: 1024, Periods: 4}},
		{"period multiple of 128 up to 1000: next one down", func(c *fakeCard) {
			c.periodStep, c.periodSize = 128, [2]uint32{128, 1000}
		}, Options{Device: "hw:0,0"},
			Params{Rate: 48000, Channels: 1, PeriodFrames: 896, Periods: 4}},
		{"period and periods clamped", func(c *fakeCard) {
			c.periodSize, c.periods = [2]uint32{1024, 4096}, [2]uint32{8, 8}
		}, Options{Device: "hw:0,0"},
			Params{Rate: 48000, Channels: 1, PeriodFrames: 1024, Periods: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := newCard()
			if tc.card != nil {
				tc.card(card)
			}
			d, err := openCapture(context.Background(), card, tc.opt, clk())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Params() != tc.want {
				t.Errorf("granted %+v, want %+v", d.Params(), tc.want)
			}
			buffer := uint(tc.want.PeriodFrames * tc.want.Periods)
			sw := card.sw
			if sw.availMin != uint(tc.want.PeriodFrames) || sw.stopThreshold != buffer || sw.startThreshold != 1 {
				t.Errorf("sw params %+v", sw)
			}
			if sw.boundary%buffer != 0 || sw.boundary > ^uint(0)>>1 || sw.boundary*2 <= ^uint(0)>>1-buffer {
				t.Errorf("boundary %d for buffer %d", sw.boundary, buffer)
			}
			if card.count("prepare") != 1 || card.calls[0] != "open /dev/snd/pcmC"+tc.opt.Device[3:4]+"D0c" {
				t.Errorf("calls %v", card.calls)
			}
		})
	}
}

func TestNegotiationFailures(t *testing.T) {
	tests := []struct {
		name string
		card func(*fakeCard)
	}{
		{"no S16_LE", func(c *fakeCard) { c.formats = []int{10} }},
		{"only 6 channels", func(c *fakeCard) { c.channels = []uint32{6} }},
	}
	for _, tc := range tests {
		card := newCard()
		tc.card(card)
		_, err := openPlayback(context.Background(), card, Options{Device: "hw:0,0"}, clk())
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", tc.name, err)
		}
		if !card.closed {
			t.Errorf("%s: device left open", tc.name)
		}
	}
	for _, o := range []Options{{Device: "default"}, {Device: "plughw:0,0"}, {Device: "hw:0,0", Channels: 3}, {Device: "hw:0,0", Period: time.Microsecond}} {
		if _, err := openCapture(context.Background(), newCard(), o, clk()); err == nil {
			t.Errorf("Open(%+v) accepted", o)
		}
	}
}

func TestCaptureStereoAndPartialReads(t *testing.T) {
	card := newCard()
	card.channels = []uint32{2}
	card.partial = true
	d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0", Rate: 8000}, clk())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := audio.NewFrame()
	if err := d.Read(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	for i, v := range f { // 8 kHz device: no resampling, samples 0,1,2...
		if v != int16(i) {
			t.Fatalf("sample %d = %d", i, v)
		}
	}
}

func TestPlaybackDuplicatesToStereoAndResamples(t *testing.T) {
	card := newCard()
	card.channels = []uint32{2}
	d, err := openPlayback(context.Background(), card, Options{Device: "hw:0,0"}, clk())
	if err != nil {
		t.Fatal(err)
	}
	f := audio.NewFrame()
	for i := range f {
		f[i] = 1000
	}
	for range 5 {
		if err := d.Write(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if len(card.written) != 5*960*2 {
		t.Fatalf("wrote %d samples, want %d", len(card.written), 5*960*2)
	}
	last := card.written[len(card.written)-2:]
	if last[0] != last[1] || last[0] < 990 || last[0] > 1010 {
		t.Errorf("last stereo frame %v, want both about 1000", last)
	}
	if card.sw.startThreshold != 1920 {
		t.Errorf("playback start threshold %d, want half the buffer", card.sw.startThreshold)
	}
	if err := d.Close(); err != nil || card.count("drop") != 1 || !card.closed {
		t.Errorf("Close: %v, calls %v", err, card.calls)
	}
	if err := d.Write(context.Background(), f); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

func TestXrunAndSuspendRecovery(t *testing.T) {
	tests := []struct {
		name     string
		script   []error
		resume   []error
		prepares int // after the one at open
		xruns    int
	}{
		{"not ready then data", []error{unix.EAGAIN, unix.EAGAIN, unix.EINTR}, nil, 0, 0},
		{"overrun", []error{unix.EPIPE}, nil, 1, 1},
		{"two overruns", []error{unix.EPIPE, unix.EAGAIN, unix.EPIPE}, nil, 2, 2},
		{"suspend, resumed", []error{unix.ESTRPIPE}, []error{unix.EAGAIN, nil}, 0, 0},
		{"suspend, not resumable", []error{unix.ESTRPIPE}, []error{unix.ENOSYS}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := newCard()
			d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0", Rate: 8000}, clk())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			card.script, card.resume = tc.script, tc.resume
			f := audio.NewFrame()
			if err := d.Read(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if f[159] != 159 {
				t.Errorf("frame not filled after recovery: %v", f[150:])
			}
			if p := card.count("prepare") - 1; p != tc.prepares {
				t.Errorf("%d re-prepares, want %d (calls %v)", p, tc.prepares, card.calls)
			}
			if d.XRuns() != tc.xruns {
				t.Errorf("XRuns = %d, want %d", d.XRuns(), tc.xruns)
			}
		})
	}
}

func TestTransferErrors(t *testing.T) {
	card := newCard()
	d, err := openPlayback(context.Background(), card, Options{Device: "hw:0,0", Rate: 8000}, clk())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	card.script = []error{unix.ENODEV}
	if err := d.Write(context.Background(), audio.NewFrame()); !errors.Is(err, ErrNoDevice) {
		t.Errorf("unplugged: %v, want ErrNoDevice", err)
	}
	card.script = []error{unix.EIO}
	if err := d.Write(context.Background(), audio.NewFrame()); !errors.Is(err, unix.EIO) {
		t.Errorf("EIO: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Write(ctx, audio.NewFrame()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A Read waiting on a device that never gets ready returns when the
// context ends, and when the device is closed.
func TestBlockedReadEnds(t *testing.T) {
	for _, byClose := range []bool{false, true} {
		card := newCard()
		d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0", Rate: 8000}, clk())
		if err != nil {
			t.Fatal(err)
		}
		never := make([]error, 1<<20)
		for i := range never {
			never[i] = unix.EAGAIN
		}
		card.script = never
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Read(ctx, audio.NewFrame()) }()
		for card.count("poll") == 0 { // wait until it is blocked
			time.Sleep(time.Millisecond)
		}
		want := error(context.Canceled)
		if byClose {
			d.Close()
			want = audio.ErrClosed
		} else {
			cancel()
		}
		if err := <-done; !errors.Is(err, want) {
			t.Errorf("blocked Read ended with %v, want %v", err, want)
		}
		cancel()
		d.Close()
	}
}

func TestBusyRetriesWithBackoff(t *testing.T) {
	card := newCard()
	card.openErrs = []error{unix.EBUSY, unix.EBUSY, unix.EBUSY}
	c := clk()
	d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0"}, c)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	waits := c.Waits()
	if len(waits) != 3 || waits[0] != time.Unix(0, 0).Add(50*time.Millisecond) || c.Now().Sub(time.Unix(0, 0)) != 350*time.Millisecond {
		t.Errorf("backoff waits %v, now %v; want 50, 100, 200 ms", waits, c.Now())
	}

	card = newCard()
	for range 100 {
		card.openErrs = append(card.openErrs, unix.EBUSY)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = openCapture(ctx, card, Options{Device: "hw:0,0"}, &cancelAfter{Clock: clk(), n: 5, cancel: cancel})
	if !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Errorf("busy until cancelled: %v, want ErrBusy and context.Canceled", err)
	}
	if n := card.count("open /dev/snd/pcmC0D0c"); n != 5 {
		t.Errorf("%d open attempts, want 5 (the fifth wait is cancelled)", n)
	}
}

// cancelAfter is a clock that cancels a context on its n-th wait.
type cancelAfter struct {
	*audiotest.Clock
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) WaitUntil(ctx context.Context, t time.Time) error {
	if c.n--; c.n <= 0 {
		c.cancel()
	}
	return c.Clock.WaitUntil(ctx, t)
}

func TestDevicePath(t *testing.T) {
	tests := []struct {
		name string
		s    Stream
		want string
		ok   bool
	}{
		{"hw:0,0", Playback, "/dev/snd/pcmC0D0p", true},
		{"hw:1,2", Capture, "/dev/snd/pcmC1D2c", true},
		{"hw:3", Capture, "/dev/snd/pcmC3D0c", true},
		{"/dev/snd/pcmC0D1p", Playback, "/dev/snd/pcmC0D1p", true},
		{"default", Playback, "", false},
		{"hw:x y,0", Playback, "", false},
		{"hw:0,99", Playback, "", false},
		{"hw:CARD=wm8960soundcard,DEV=0", Capture, "/dev/snd/pcmC1D0c", true},
		{"hw:wm8960soundcard,0", Playback, "/dev/snd/pcmC1D0p", true},
		{"hw:Headphones", Playback, "/dev/snd/pcmC0D0p", true},
		{"hw:CARD=absent,DEV=0", Playback, "", false},
	}
	// A /proc/asound of our own: ids are symlinks to cardN.
	proc := t.TempDir()
	for id, card := range map[string]string{"wm8960soundcard": "card1", "Headphones": "card0"} {
		if err := os.Symlink(card, filepath.Join(proc, id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		got, err := devicePath(proc, tc.name, tc.s)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("DevicePath(%q, %v) = %q, %v", tc.name, tc.s, got, err)
		}
	}
	if _, err := devicePath(proc, "hw:CARD=absent", Capture); !errors.Is(err, ErrNoDevice) {
		t.Errorf("an absent card id: %v, want ErrNoDevice", err)
	}
}

// The real kernel path: without the device node the error is ErrNoDevice.
// (This machine has no /dev/snd at all.)
func TestRealKernelMissingDevice(t *testing.T) {
	_, err := OpenCapture(context.Background(), Options{Device: "hw:31,31"}, audio.SystemClock())
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("OpenCapture(hw:31,31) = %v, want ErrNoDevice", err)
	}
}

// On a machine with a sound card, play 200 ms of silence through card 0.
func TestRealCardPlayback(t *testing.T) {
	if _, err := os.Stat("/dev/snd/pcmC0D0p"); err != nil {
		t.Skip("no /dev/snd/pcmC0D0p (no sound card): the ALSA path is covered by the simulated card tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := OpenPlayback(ctx, Options{Device: "hw:0,0", Channels: 2}, audio.SystemClock())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for range 10 {
		if err := d.Write(ctx, audio.NewFrame()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("granted %+v", d.Params())
}
