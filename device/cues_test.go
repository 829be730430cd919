package device_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/device"
)

// level returns the amplitude of frequency f in x (Goertzel), in full-scale
// units: a sine of amplitude A gives about A.
func level(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / audio.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(x))
}

func peak(x []int16) int {
	m := 0
	for _, v := range x {
		m = max(m, int(math.Abs(float64(v))))
	}
	return m
}

// readMs reads ms milliseconds (a multiple of 20) from q.
func readMs(t *testing.T, q *device.Cues, ms int) []int16 {
	t.Helper()
	out := make([]int16, 0, ms*8)
	frame := audio.NewFrame()
	for range ms / 20 {
		if err := q.Read(context.Background(), frame); err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, frame...)
	}
	return out
}

func newCues(t *testing.T, country string, p device.Prompts) *device.Cues {
	t.Helper()
	q, err := device.NewCues(country, p)
	if err != nil {
		t.Fatalf("NewCues: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestCuesRingbackUntilStopped(t *testing.T) {
	t.Parallel()
	q := newCues(t, "US", device.Prompts{})
	if p := peak(readMs(t, q, 200)); p != 0 {
		t.Fatalf("idle cues are not silent (peak %d)", p)
	}
	if err := q.Play(device.CueRingback); err != nil {
		t.Fatal(err)
	}
	on := readMs(t, q, 2000)[400:15600] // US ringback: 440+480 Hz, 2 s on, 4 s off
	if l4, l1 := level(on, 440), level(on, 1000); l4 < 2000 || l1 > l4/20 {
		t.Errorf("ringback on: 440 Hz level %.0f, 1000 Hz %.0f", l4, l1)
	}
	if p := peak(readMs(t, q, 4000)[80:31920]); p > 100 {
		t.Errorf("ringback pause has peak %d", p)
	}
	if p := peak(readMs(t, q, 1000)); p < 2000 {
		t.Errorf("ringback does not repeat (peak %d)", p)
	}
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	if p := peak(readMs(t, q, 500)); p != 0 {
		t.Errorf("stopped cues are not silent (peak %d)", p)
	}
}

func TestCuesOnceAndLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cue    device.Cue
		freq   float64
		soundM int // ms of sound, rounded to frames
	}{
		{device.CueDoorOpened, 1000, 200},
		{device.CueExtended, 1000, 200},
		{device.CueBusy, 480, 3000},     // US busy, cut to 3 s
		{device.CueNoAnswer, 620, 3000}, // US congestion, cut to 3 s
		{device.CueWarning, 1400, 660},  // two beeps
	}
	for _, tc := range tests {
		q := newCues(t, "US", device.Prompts{})
		if err := q.Play(tc.cue); err != nil {
			t.Fatal(err)
		}
		x := readMs(t, q, tc.soundM+2000)
		if l := level(x[:tc.soundM*8], tc.freq); l < 300 {
			t.Errorf("%s: level at %v Hz is %.0f", tc.cue, tc.freq, l)
		}
		if p := peak(x[(tc.soundM+20)*8:]); p != 0 {
			t.Errorf("%s: still sounding after %d ms (peak %d)", tc.cue, tc.soundM, p)
		}
	}
}

func TestCuesPrompt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nobody.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wav.NewWriter(f, audio.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int16, 4000) // 0.5 s at 700 Hz
	for i := range want {
		want[i] = int16(8000 * math.Sin(2*math.Pi*700*float64(i)/audio.SampleRate))
	}
	if err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	q := newCues(t, "DE", device.Prompts{NoAnswer: path})
	if err := q.Play(device.CueNoAnswer); err != nil {
		t.Fatal(err)
	}
	got := readMs(t, q, 1000)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("prompt sample %d = %d, want %d", i, got[i], want[i])
		}
	}
	if p := peak(got[len(want):]); p != 0 {
		t.Errorf("silence after the prompt has peak %d", p)
	}
}

func TestCuesErrors(t *testing.T) {
	t.Parallel()
	if _, err := device.NewCues("Atlantis", device.Prompts{}); err == nil {
		t.Error("NewCues with an unknown country succeeded")
	}
	if _, err := device.NewCues("US", device.Prompts{Busy: filepath.Join(t.TempDir(), "missing.wav")}); err == nil {
		t.Error("NewCues with a missing prompt succeeded")
	}
	q := newCues(t, "US", device.Prompts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Read(ctx, audio.NewFrame()); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled ctx = %v", err)
	}
	q.Close()
	if err := q.Play(device.CueRingback); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("Play after Close = %v, want ErrClosed", err)
	}
	if err := q.Read(context.Background(), audio.NewFrame()); !errors.Is(err, audio.ErrClosed) {
		t.Errorf("Read after Close = %v, want ErrClosed", err)
	}
}

// TestCuesMix is not parallel: it counts allocations.
func TestCuesMix(t *testing.T) {
	q := newCues(t, "US", device.Prompts{})
	frame := audio.NewFrame()
	for i := range frame {
		frame[i] = 30000 // loud call audio: the beep must saturate, not wrap
	}
	if err := q.Mix(context.Background(), frame); err != nil {
		t.Fatal(err)
	}
	for i, v := range frame {
		if v != 30000 {
			t.Fatalf("silence mixed in changed sample %d to %d", i, v)
		}
	}
	if err := q.Play(device.CueDoorOpened); err != nil {
		t.Fatal(err)
	}
	var wrapped, raised bool
	for range 5 {
		for i := range frame {
			frame[i] = 30000
		}
		if err := q.Mix(context.Background(), frame); err != nil {
			t.Fatal(err)
		}
		for _, v := range frame {
			wrapped = wrapped || v < 0
			raised = raised || v == math.MaxInt16
		}
	}
	if wrapped || !raised {
		t.Errorf("mixing a beep into loud audio: wrapped=%v, reached full scale=%v", wrapped, raised)
	}
	if n := testing.AllocsPerRun(100, func() { _ = q.Mix(context.Background(), frame) }); n != 0 {
		t.Errorf("Mix allocates %v times per frame", n)
	}
}

// The device drives real Cues too: a visitor call that nobody answers
// plays ringback and then the no-answer tone.
var _ device.Sounds = (*device.Cues)(nil)
var _ audio.Source = (*device.Cues)(nil)
