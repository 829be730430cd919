package board

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// recorder logs every output pin change with the fake clock's time.
type recorder struct {
	clk   clockwork.Clock
	start time.Time
	mu    sync.Mutex
	level map[string]gpio.Level
	log   map[string][]time.Duration // rising edges since start, by pin
	both  []string                   // moments two pins of a pair were both high
	pair  [2]string
}

type recPin struct {
	gpiotest.Pin
	r *recorder
}

func (p *recPin) Out(l gpio.Level) error {
	r := p.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.level[p.N] == l {
		return nil
	}
	r.level[p.N] = l
	if l == gpio.High {
		r.log[p.N] = append(r.log[p.N], r.clk.Since(r.start))
	}
	if r.pair[0] != "" && r.level[r.pair[0]] == gpio.High && r.level[r.pair[1]] == gpio.High {
		r.both = append(r.both, r.clk.Since(r.start).String())
	}
	return nil
}

func (r *recorder) get(pin string) (gpio.Level, []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.level[pin], append([]time.Duration(nil), r.log[pin]...)
}

// lineBoard opens profile prof with its inputs unwired (so that the
// scheduler is the fake clock's only waiter) and recording output pins.
func lineBoard(t *testing.T, prof string, over Pins) (*Board, *recorder, *clockwork.FakeClock) {
	t.Helper()
	fc := clockwork.NewFakeClock()
	r := &recorder{clk: fc, start: fc.Now(), level: map[string]gpio.Level{}, log: map[string][]time.Duration{}}
	none := &PinConfig{Pin: "none"}
	over.HookSwitch, over.DialPulse, over.DialOffNormal, over.DoorContact = none, none, none, none
	over.CallButtons = []PinConfig{*none, *none, *none}
	hw := &hardware{pin: func(name string) (gpio.PinIO, error) {
		return &recPin{Pin: gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level, 1)}, r: r}, nil
	}}
	b, err := Open(Config{Profile: prof, Pins: over}, discard(), WithClock(fc), withHardware(hw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, r, fc
}

// run advances the fake clock by total in 1ms steps.
func run(t *testing.T, fc *clockwork.FakeClock, total time.Duration) {
	t.Helper()
	for end := fc.Now().Add(total); fc.Now().Before(end); {
		fc.Advance(time.Millisecond)
		if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatalf("scheduler did not re-arm: %v", err)
		}
	}
}

// measure returns the frequency of rising edges rises (in Hz) and the
// worst lateness of any edge against the ideal wave started at from.
func measure(rises []time.Duration, hz int, from time.Duration) (float64, time.Duration) {
	if len(rises) < 2 {
		return 0, 0
	}
	f := float64(len(rises)-1) / (rises[len(rises)-1] - rises[0]).Seconds()
	var worst time.Duration
	for k, at := range rises {
		ideal := from + time.Duration(int64(k)*int64(time.Second)/int64(hz))
		if d := at - ideal; d > worst || -d > worst {
			worst = max(d, -d)
		}
	}
	return f, worst
}

func TestRingWaveform(t *testing.T) {
	t.Parallel()
	pin := func(s string) *PinConfig { return &PinConfig{Pin: s} }
	tests := []struct {
		name, prof string
		over       Pins
		hz         int
		wave, anti string // the pin that plays the wave, and its antiphase partner
		steady     string // a pin that must be high throughout ringing
	}{
		{"slic 25 Hz", "slic", Pins{}, 25, "GPIO6", "", "GPIO5"},
		{"slic 20 Hz", "slic", Pins{}, 20, "GPIO6", "", "GPIO5"},
		{"slic 17 Hz (edges not on ms)", "slic", Pins{}, 17, "GPIO6", "", "GPIO5"},
		{"rotary H-bridge 25 Hz", "rotary", Pins{}, 25, "GPIO5", "GPIO6", ""},
		{"rotary H-bridge 50 Hz", "rotary", Pins{}, 50, "GPIO5", "GPIO6", ""},
		{"rotary with a ringer relay", "rotary", Pins{Ringer: pin("GPIO12"), BellA: pin("none"), BellB: pin("none")}, 25, "", "", "GPIO12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, r, fc := lineBoard(t, tc.prof, tc.over)
			r.pair = [2]string{tc.wave, tc.anti}
			run(t, fc, 100*time.Millisecond)
			from := fc.Since(r.start)
			if err := b.Set(Ringer, 0, Wave(tc.hz)); err != nil {
				t.Fatal(err)
			}
			run(t, fc, 3*time.Second) // a long burst: drift would show
			if tc.steady != "" {
				if l, rises := r.get(tc.steady); l != gpio.High || len(rises) != 1 {
					t.Errorf("%s: level %v after %d rises, want high from the start of ringing", tc.steady, l, len(rises))
				}
			}
			if tc.wave != "" {
				_, rises := r.get(tc.wave)
				f, late := measure(rises, tc.hz, from)
				if len(rises) != 3*tc.hz+1 || f < float64(tc.hz)*0.995 || f > float64(tc.hz)*1.005 || late >= time.Millisecond {
					t.Errorf("%s: %d rises in 3s, %.3f Hz, worst edge %v off, want %d rises at %d Hz within the 1ms clock step",
						tc.wave, len(rises), f, late, 3*tc.hz+1, tc.hz)
				}
			}
			if tc.anti != "" {
				_, rises := r.get(tc.anti)
				half := time.Second / time.Duration(2*tc.hz)
				f, late := measure(rises, tc.hz, from+half)
				if len(rises) != 3*tc.hz || late >= time.Millisecond || f < float64(tc.hz)*0.995 {
					t.Errorf("%s: %d rises, %.3f Hz, worst %v off the half-period-late wave: not in antiphase", tc.anti, len(rises), f, late)
				}
				if len(r.both) > 0 {
					t.Errorf("both H-bridge inputs high at %v", r.both)
				}
			}
			if err := b.Set(Ringer, 0, Off()); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{tc.wave, tc.anti, tc.steady} {
				if l, _ := r.get(p); p != "" && l != gpio.Low {
					t.Errorf("%s %v after Off, want low", p, l)
				}
			}
		})
	}
}

func TestSLICLineReversal(t *testing.T) {
	t.Parallel()
	b, r, fc := lineBoard(t, "slic", Pins{})
	levels := func() string {
		rm, _ := r.get("GPIO5")
		fr, _ := r.get("GPIO6")
		return fmt.Sprintf("RM=%v F/R=%v", rm, fr)
	}
	steps := []struct {
		role Role
		p    Pattern
		want string
	}{
		{LineReversal, On(), "RM=Low F/R=High"},
		{LineReversal, Off(), "RM=Low F/R=Low"},
		{LineReversal, On(), "RM=Low F/R=High"},
		{Ringer, Wave(25), "RM=High F/R=High"}, // the wave starts high
		{Ringer, Off(), "RM=Low F/R=High"},     // back to reversed
		{LineReversal, Off(), "RM=Low F/R=Low"},
	}
	for i, s := range steps {
		if err := b.Set(s.role, 0, s.p); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := levels(); got != s.want {
			t.Errorf("step %d: Set(%s, %s): %s, want %s", i, s.role, s.p, got, s.want)
		}
		run(t, fc, 10*time.Millisecond)
	}
	for _, tc := range []struct {
		prof string
		role Role
		p    Pattern
		want string
	}{
		{"slic", LineReversal, SlowBlink(), "invalid pattern"},
		{"slic", Ringer, Ring(), "invalid pattern"},
		{"slic", Ringer, Wave(5), "invalid pattern"},
		{"slic", Ringer, Wave(101), "invalid pattern"},
		{"rotary", LineReversal, On(), "no such pin"},
		{"rpi", LineReversal, On(), "no such pin"},
		{"respeaker-2mic", Ringer, Wave(25), "no such pin"},
	} {
		bb := b
		if tc.prof != "slic" {
			if tc.prof == "respeaker-2mic" {
				continue // needs an SPI fake; the rpi case covers a board without F/R
			}
			bb, _, _ = lineBoard(t, tc.prof, Pins{})
		}
		if err := bb.Set(tc.role, 0, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Set(%s, %s) = %v, want %q", tc.prof, tc.role, tc.p, err, tc.want)
		}
	}
}

// The scheduler's step plays waves without allocating.
func TestRingStepAllocates0(t *testing.T) {
	fc := clockwork.NewFakeClock()
	hw := &hardware{pin: func(name string) (gpio.PinIO, error) {
		return &gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level, 1)}, nil
	}}
	b, err := Open(Config{Profile: "sim"}, discard(), WithClock(fc), withHardware(hw))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(Ringer, 0, Wave(25)); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(StatusLED, 0, FastBlink()); err != nil {
		t.Fatal(err)
	}
	now := fc.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := testing.AllocsPerRun(1000, func() {
		now = now.Add(7 * time.Millisecond)
		b.stepAll(now)
	}); n != 0 {
		t.Errorf("stepAll allocates %v times per step", n)
	}
}
