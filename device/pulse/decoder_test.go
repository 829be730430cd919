package pulse_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device/pulse"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

var t0 = time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)

func at(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }

// edge is one recorded contact change: the time in ms and the new state.
type edge struct {
	ms     float64
	closed bool
}

// train returns the edges of a rotary dial sending digits (pulse counts)
// at pps pulses per second with the break share ratio (0.6 = 60/40),
// starting at ms with the line closed, and a pause of gap ms after each
// digit; bounce adds that many 1 ms flickers after every edge.
func train(ms, pps, ratio, gap float64, bounce int, counts ...int) ([]edge, float64) {
	var e []edge
	period := 1000 / pps
	add := func(t float64, closed bool) {
		e = append(e, edge{t, closed})
		for i := range bounce {
			e = append(e, edge{t + float64(2*i+1)*0.5, !closed}, edge{t + float64(2*i+2)*0.5, closed})
		}
	}
	for _, n := range counts {
		for range n {
			add(ms, false)
			add(ms+period*ratio, true)
			ms += period
		}
		ms += gap
	}
	return e, ms
}

// run feeds edges to a decoder the way its owner would: before each edge
// it polls at every deadline that comes first, and at the end it polls up
// to endMs. It returns the events in short form: "3" for a digit, "F"
// flash, "ON" on-hook, "OFF" off-hook, "X" invalid.
func run(t *testing.T, cfg pulse.Config, closed bool, edges []edge, endMs float64) (string, []pulse.Event) {
	t.Helper()
	d, err := pulse.New(cfg, t0, closed)
	if err != nil {
		t.Fatal(err)
	}
	var ev []pulse.Event
	pollUntil := func(until time.Time) {
		for {
			dl, ok := d.Deadline()
			if !ok || dl.After(until) {
				return
			}
			n := len(ev)
			ev = d.Poll(ev, dl)
			if dl2, ok := d.Deadline(); ok && !dl2.After(dl) && len(ev) == n {
				t.Fatalf("Poll(%v) left the deadline at %v", dl.Sub(t0), dl2.Sub(t0))
			}
		}
	}
	for _, e := range edges {
		pollUntil(at(e.ms))
		ev = d.Edge(ev, at(e.ms), e.closed)
	}
	pollUntil(at(endMs))
	ev = d.Poll(ev, at(endMs))
	var s []string
	for _, e := range ev {
		switch e.Kind {
		case pulse.Digit:
			s = append(s, string(e.Digit))
		case pulse.Flash:
			s = append(s, "F")
		case pulse.OnHook:
			s = append(s, "ON")
		case pulse.OffHook:
			s = append(s, "OFF")
		case pulse.Invalid:
			s = append(s, "X")
		}
	}
	return strings.Join(s, " "), ev
}

func TestDialTrains(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pps, ratio float64
		bounce     int
		counts     []int
		want       string
	}{
		{"10pps 60/40", 10, 0.6, 0, []int{3, 10, 1}, "3 0 1"},
		{"10pps 67/33", 10, 2.0 / 3, 0, []int{5, 9}, "5 9"},
		{"8pps 60/40", 8, 0.6, 0, []int{7, 2}, "7 2"},
		{"8pps 67/33", 8, 2.0 / 3, 0, []int{10, 4}, "0 4"},
		{"12pps 60/40", 12, 0.6, 0, []int{8, 6}, "8 6"},
		{"12pps 67/33", 12, 2.0 / 3, 0, []int{1, 9}, "1 9"},
		{"10pps bouncing contact", 10, 0.6, 2, []int{4, 10, 2}, "4 0 2"},
		{"12pps 67/33 bouncing", 12, 2.0 / 3, 3, []int{6, 1}, "6 1"},
		{"8pps 67/33 bouncing", 8, 2.0 / 3, 3, []int{9, 3}, "9 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, end := train(100, tc.pps, tc.ratio, 400, tc.bounce, tc.counts...)
			got, ev := run(t, pulse.Config{}, true, e, end+1000)
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if ev[0].Pulses != tc.counts[0] {
				t.Errorf("first digit: %d pulses, want %d", ev[0].Pulses, tc.counts[0])
			}
		})
	}
}

// A recorded sequence of one "2" at 10 pps 61/39 with real bounce (times
// in ms as a logic analyser shows them), then a flash, then a slow
// hang-up and a pick-up.
func TestRecordedSequence(t *testing.T) {
	e := []edge{
		{1000, false}, {1000.4, true}, {1000.9, false}, // break, bouncing
		{1061, true}, {1061.3, false}, {1061.8, true}, // make
		{1100, false},
		{1161.5, true}, {1162.2, false}, {1162.6, true},
		// digit gap; flash of 480 ms
		{2000, false}, {2480, true}, {2480.7, false}, {2481.1, true},
		// slow hang-up, picked up again 3 s later
		{4000, false}, {4000.8, true}, {4001.5, false},
		{7000, true},
	}
	got, ev := run(t, pulse.Config{}, true, e, 8000)
	if got != "2 F ON OFF" {
		t.Fatalf("got %q, want %q", got, "2 F ON OFF")
	}
	if !ev[0].At.Equal(at(1161.5)) {
		t.Errorf("digit at %v, want its last make 1161.5ms", ev[0].At.Sub(t0))
	}
	if ev[1].Break != 480*time.Millisecond || !ev[1].At.Equal(at(2000)) {
		t.Errorf("flash %v at %v, want 480ms at 2000ms", ev[1].Break, ev[1].At.Sub(t0))
	}
	if !ev[2].At.Equal(at(4000)) || !ev[3].At.Equal(at(7000)) {
		t.Errorf("on-hook at %v, off-hook at %v", ev[2].At.Sub(t0), ev[3].At.Sub(t0))
	}
}

func TestFlashAndHangup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    pulse.Config
		closed bool
		e      []edge
		want   string
	}{
		{"shortest flash", pulse.Config{}, true, []edge{{100, false}, {200, true}}, "F"},
		{"longest flash", pulse.Config{}, true, []edge{{100, false}, {999, true}}, "F"},
		{"hang-up at flash max", pulse.Config{}, true, []edge{{100, false}, {1000, true}}, "ON OFF"},
		{"never picked up again", pulse.Config{}, true, []edge{{100, false}}, "ON"},
		{"between pulse and flash", pulse.Config{}, true, []edge{{100, false}, {195, true}}, "X"},
		{"too short to be a pulse", pulse.Config{}, true, []edge{{100, false}, {110, true}}, ""},
		{"bounce only", pulse.Config{}, true, []edge{{100, false}, {103, true}}, ""},
		{"glitch inside a pulse's break", pulse.Config{}, true,
			[]edge{{100, false}, {130, true}, {131.5, false}, {160, true}}, "1"},
		{"glitches inside a flash", pulse.Config{}, true,
			[]edge{{100, false}, {300, true}, {302, false}, {500, true}, {503, false}, {700, true}}, "F"},
		{"pick-up", pulse.Config{}, false, []edge{{100, true}}, "OFF"},
		{"pulses cut by a flash", pulse.Config{}, true,
			[]edge{{100, false}, {160, true}, {200, false}, {600, true}}, "X F"},
		{"pulses cut by a hang-up", pulse.Config{}, true,
			[]edge{{100, false}, {160, true}, {200, false}}, "ON"},
		{"configured flash window", pulse.Config{FlashMin: 300 * time.Millisecond, FlashMax: 1500 * time.Millisecond},
			true, []edge{{100, false}, {300, true}, {1000, false}, {2200, true}}, "X F"},
		{"11 pulses", pulse.Config{}, true, func() []edge { e, _ := train(100, 10, 0.6, 0, 0, 11); return e }(), "X"},
		{"sweden", pulse.Config{Mapping: pulse.Sweden}, true,
			func() []edge { e, _ := train(100, 10, 0.6, 400, 0, 1, 10, 3); return e }(), "0 9 2"},
		{"new zealand", pulse.Config{Mapping: pulse.NewZealand}, true,
			func() []edge { e, _ := train(100, 10, 0.6, 400, 0, 1, 10, 3); return e }(), "9 0 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := run(t, tc.cfg, tc.closed, tc.e, 5000); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The owner learns when to poll: the digit is decided exactly one digit
// gap after its last make, the hang-up exactly FlashMax into the break.
func TestDeadlines(t *testing.T) {
	d, _ := pulse.New(pulse.Config{}, t0, true)
	if _, ok := d.Deadline(); ok {
		t.Fatal("idle decoder has a deadline")
	}
	ev := d.Edge(nil, at(100), false)
	ev = d.Edge(ev, at(160), true)
	if dl, _ := d.Deadline(); !dl.Equal(at(165)) {
		t.Fatalf("deadline %v, want the debounce end 165ms", dl.Sub(t0))
	}
	ev = d.Poll(ev, at(165))
	if dl, _ := d.Deadline(); !dl.Equal(at(160).Add(pulse.DefaultDigitGap)) {
		t.Fatalf("deadline %v, want 160ms + digit gap", dl.Sub(t0))
	}
	if ev = d.Poll(ev, at(309)); len(ev) != 0 {
		t.Fatalf("digit before its gap: %v", ev)
	}
	if ev = d.Poll(ev, at(310)); len(ev) != 1 || ev[0].Digit != '1' {
		t.Fatalf("events %v, want digit 1", ev)
	}
	ev = d.Edge(ev[:0], at(400), false)
	ev = d.Poll(ev, at(405))
	if dl, _ := d.Deadline(); !dl.Equal(at(1300)) || !d.OffHook() {
		t.Fatalf("deadline %v, want 1300ms", dl.Sub(t0))
	}
	if ev = d.Poll(ev, at(1300)); len(ev) != 1 || ev[0].Kind != pulse.OnHook || d.OffHook() {
		t.Fatalf("events %v, want on-hook", ev)
	}
	// Time going backwards counts as the latest time.
	ev = d.Edge(ev[:0], at(10), true)
	if ev = d.Poll(ev, at(1306)); len(ev) != 1 || ev[0].Kind != pulse.OffHook || !ev[0].At.Equal(at(1300)) {
		t.Fatalf("events %v, want off-hook at 1300ms", ev)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (pulse.Config{}).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		cfg  pulse.Config
		path string
	}{
		{pulse.Config{Debounce: 50 * time.Millisecond}, "debounce"},
		{pulse.Config{BreakMax: 120 * time.Millisecond}, "flash_min"},
		{pulse.Config{FlashMin: 950 * time.Millisecond}, "flash_max"},
		{pulse.Config{DigitGap: 80 * time.Millisecond}, "digit_gap"},
		{pulse.Config{BreakMin: 95 * time.Millisecond}, "break_max"},
		{pulse.Config{Mapping: "norway"}, "mapping"},
		{pulse.Config{FlashMax: -time.Second}, "flash_max"},
	} {
		err := tc.cfg.Validate()
		var l cfgerr.List
		if !errors.As(err, &l) || !strings.Contains(fmt.Sprint(l), tc.path+":") {
			t.Errorf("Validate(%+v) = %v, want an error at %s", tc.cfg, err, tc.path)
		}
	}
	if _, err := pulse.New(pulse.Config{Mapping: "x"}, t0, true); err == nil {
		t.Error("New accepted a bad config")
	}
	for n, want := range map[int]string{0: "", 1: "1", 10: "0", 11: ""} {
		if c, ok := pulse.Standard.Digit(n); (ok && string(c) != want) || (!ok && want != "") {
			t.Errorf("Standard.Digit(%d) = %q %v", n, c, ok)
		}
	}
	if pulse.Flash.String() != "flash" || pulse.Kind(0).String() == "" {
		t.Error("Kind.String wrong")
	}
}

// FuzzDecoder: any edge sequence, with polls at any times, never panics,
// every deadline polled moves on, and digits are digits.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{10, 60, 40, 60, 40, 200, 1, 2, 3, 255, 255, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := pulse.New(pulse.Config{}, t0, len(b) > 0 && b[0]&1 == 1)
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		closed := true
		var ev []pulse.Event
		for i, c := range b {
			now = now.Add(time.Duration(c) * time.Millisecond * time.Duration(1+i%3))
			if c%7 == 0 {
				if dl, ok := d.Deadline(); ok {
					ev = d.Poll(ev, dl)
					if dl2, ok := d.Deadline(); ok && !dl2.After(dl) {
						t.Fatalf("deadline stuck at %v", dl2)
					}
				}
				continue
			}
			closed = !closed
			ev = d.Edge(ev, now, closed)
		}
		ev = d.Poll(ev, now.Add(time.Hour))
		for _, e := range ev {
			if e.Kind == pulse.Digit && (e.Digit < '0' || e.Digit > '9') {
				t.Fatalf("digit %q", e.Digit)
			}
		}
	})
}
