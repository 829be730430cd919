package board

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// collect reads the board's events until until says it has enough.
func collect(t *testing.T, b *Board, until func([]Event) bool) []Event {
	t.Helper()
	var got []Event
	for !until(got) {
		got = append(got, nextEvent(t, b))
	}
	return got
}

func count(evs []Event, k EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// digitsOf splits dial events into pulse counts: one per off-normal frame
// on the dial, or per run of breaks separated by a make of over 300ms on
// the hook.
func digitsOf(evs []Event, brk EventKind) string {
	var out strings.Builder
	n := 0
	var lastMake time.Time
	flush := func() {
		if n > 0 {
			fmt.Fprintf(&out, "%d", n%10)
		}
		n = 0
	}
	for _, e := range evs {
		switch {
		case e.Kind == DialAtRest:
			flush()
		case e.Kind == brk:
			if !lastMake.IsZero() && e.Time.Sub(lastMake) > 300*time.Millisecond && brk == OnHook {
				flush()
			}
			n++
		case e.Kind == OffHook || e.Kind == DialMake:
			lastMake = e.Time
		}
	}
	flush()
	return out.String()
}

func TestSimDial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		digits string
		timing PulseTiming
	}{
		{"dial 10pps 60/40", "305", PulseTiming{}},
		{"dial 12pps 67/33", "29", PulseTiming{PPS: 12, BreakPct: 67, Gap: 300 * time.Millisecond}},
		{"dial 8pps", "1", PulseTiming{PPS: 8}},
		{"hook 10pps", "42", PulseTiming{Hook: true}},
		{"hook 12pps 67/33", "3", PulseTiming{Hook: true, PPS: 12, BreakPct: 67}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := openSim(t)
			ctx := t.Context()
			brk := DialBreak
			if tc.timing.Hook {
				brk = OnHook
				if err := b.Sim().SetInput(ctx, HookSwitch, 0, true); err != nil {
					t.Fatal(err)
				}
				nextEvent(t, b)
			}
			if err := b.Sim().Dial(ctx, tc.digits, tc.timing); err != nil {
				t.Fatal(err)
			}
			pulses := 0
			for _, c := range tc.digits {
				pulses += int(c-'0'+9)%10 + 1
			}
			evs := collect(t, b, func(e []Event) bool {
				if tc.timing.Hook {
					return count(e, OffHook) == pulses
				}
				return count(e, DialAtRest) == len(tc.digits)
			})
			if got := digitsOf(evs, brk); got != tc.digits {
				t.Errorf("dialled %s, the board's events count %s", tc.digits, got)
			}
			if n := count(evs, brk); n != pulses {
				t.Errorf("%d breaks, want %d", n, pulses)
			}
			// The timing as the board timestamped it, for the log (the
			// decoder's tolerances are checked in device/boardio).
			var breaks []string
			for i, e := range evs {
				if e.Kind == brk && i+1 < len(evs) {
					breaks = append(breaks, evs[i+1].Time.Sub(e.Time).Round(100*time.Microsecond).String())
				}
			}
			t.Logf("breaks as timestamped: %s", strings.Join(breaks, " "))
		})
	}
}

func TestSimDialRefuses(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	ctx := t.Context()
	for _, tc := range []struct {
		digits string
		t      PulseTiming
		want   string
	}{
		{"12a", PulseTiming{}, `'a' is no digit`},
		{"", PulseTiming{}, "want 1..24 digits"},
		{strings.Repeat("1", 25), PulseTiming{}, "want 1..24 digits"},
		{"1", PulseTiming{PPS: 30}, "30 pulses per second"},
		{"1", PulseTiming{BreakPct: 95}, "break of 95%"},
		{"1", PulseTiming{Gap: time.Hour}, "gap of 1h0m0s"},
		{"1", PulseTiming{Hook: true}, "the handset is on hook"},
	} {
		if err := b.Sim().Dial(ctx, tc.digits, tc.t); !errors.Is(err, ErrBadPulses) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dial(%q, %+v) = %v, want ErrBadPulses with %q", tc.digits, tc.t, err, tc.want)
		}
	}
	if err := b.Sim().Flash(ctx, 0); !errors.Is(err, ErrBadPulses) {
		t.Errorf("flash on hook = %v, want ErrBadPulses", err)
	}
	noEvent(t, b)
}

func TestSimFlash(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	ctx := t.Context()
	if err := b.Sim().SetInput(ctx, HookSwitch, 0, true); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, b)
	if err := b.Sim().Flash(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	on, off := nextEvent(t, b), nextEvent(t, b)
	if on.Kind != OnHook || off.Kind != OffHook || off.Time.Sub(on.Time) < 300*time.Millisecond {
		t.Errorf("flash: %v then %v after %v, want on-hook then off-hook 300ms or more later", on.Kind, off.Kind, off.Time.Sub(on.Time))
	}
}

// TestSimRingerReport rings the sim board in a 1s/4s cadence at 25 Hz on
// the fake clock and checks what the sim measured from its pins.
func TestSimRingerReport(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClock()
	b, err := Open(outputsOnly(), discard(), WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lines, stop := b.Sim().Watch()
	defer stop()
	for range 2 {
		if err := b.Set(Ringer, 0, Wave(25)); err != nil {
			t.Fatal(err)
		}
		run(t, fc, time.Second)
		if err := b.Set(Ringer, 0, Off()); err != nil {
			t.Fatal(err)
		}
		run(t, fc, 4*time.Second)
	}
	r := b.Sim().Ringer()
	if r.Ringing || r.Bursts != 2 || r.OnMS != 1000 || r.OffMS != 4000 || r.Hz < 24.99 || r.Hz > 25.01 || !r.Antiphase {
		t.Errorf("ringer report %+v, want 2 bursts of 1000ms at 25 Hz, 4000ms apart, bells in antiphase", r)
	}
	var got []string
	for len(lines) > 0 {
		if l := <-lines; strings.HasPrefix(l, "ringer rang") || strings.HasPrefix(l, "ringer silent") {
			got = append(got, l)
		}
	}
	want := "ringer rang 1s at 25.0 Hz, bells in antiphase: true|ringer silent 4s|ringer rang 1s at 25.0 Hz, bells in antiphase: true"
	if strings.Join(got, "|") != want {
		t.Errorf("lines\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestSimPhoneTerminal(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	send, expect := terminal(t, b.Sim())
	expect("1..9")
	send("pps 30")
	expect("30 pulses per second (want 5..20)")
	send("pps 12")
	expect("pulse timing: 12 pps, break 60%")
	send("break 67")
	expect("pulse timing: 12 pps, break 67%")
	send("p20")
	expect("dialled 20")
	evs := collect(t, b, func(e []Event) bool { return count(e, DialAtRest) == 2 })
	if got := digitsOf(evs, DialBreak); got != "20" {
		t.Errorf("terminal p20: the board's events count %s", got)
	}
	send("ph5")
	expect("the handset is on hook")
	send("h")
	expect("off hook")
	nextEvent(t, b)
	send("ph5")
	expect("dialled 5")
	evs = collect(t, b, func(e []Event) bool { return count(e, OffHook) == 5 })
	if n := count(evs, OnHook); n != 5 {
		t.Errorf("terminal ph5: %d hook breaks, want 5", n)
	}
	send("f250")
	expect("hook flashed")
	if e := nextEvent(t, b); e.Kind != OnHook {
		t.Errorf("flash: %v, want on-hook", e.Kind)
	}
	nextEvent(t, b)
	if err := b.Set(Ringer, 0, Wave(20)); err != nil {
		t.Fatal(err)
	}
	expect("forward/reverse (F/R) wave 20 Hz")
	if err := b.Set(Ringer, 0, Off()); err != nil {
		t.Fatal(err)
	}
	expect("ringer rang")
	send("r")
	expect("ringer: ringing=false bursts=1")
	send("px")
	expect("'x' is no digit")
}

func TestSimPhoneHTTP(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	srv := httptest.NewServer(b.Sim().Handler())
	t.Cleanup(srv.Close)
	post := func(path, body string) (int, string) {
		t.Helper()
		res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		path, body string
		code       int
		part       string
	}{
		{"/flash", ``, 400, "the handset is on hook"},
		{"/dial", `{"digits":"7","hook":true}`, 400, "the handset is on hook"},
		{"/dial", `{"digits":"7","pps":2}`, 400, "2 pulses per second"},
		{"/dial", `{"digits":"1#"}`, 400, "no digit"},
		{"/dial", `{"digit":"1"}`, 400, "unknown field"},
		{"/dial", `{"digits":"41","pps":12,"break_pct":67,"gap_ms":300}`, 200, `"ringer":{"ringing":false`},
		{"/hook", `{"off_hook":true}`, 200, ""},
		{"/flash", `{"ms":200}`, 200, ""},
		{"/dial", `{"digits":"2","hook":true}`, 200, ""},
	} {
		code, body := post(tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.part) {
			t.Errorf("POST %s %s: %d %s, want %d with %q", tc.path, tc.body, code, body, tc.code, tc.part)
		}
	}
	evs := collect(t, b, func(e []Event) bool { return count(e, OffHook) == 4 })
	if got := digitsOf(evs[:count(evs, DialBreak)*2+4], DialBreak); got != "41" {
		t.Errorf("/dial 41: the board's events count %s", got)
	}
	if n := count(evs, OnHook); n != 3 { // the flash and 2 pulses
		t.Errorf("%d on-hook events, want 3 (a flash and 2 hook pulses)", n)
	}
	res, err := http.Get(srv.URL + "/state")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st struct {
		Ringer *RingReport `json:"ringer"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || st.Ringer == nil {
		t.Errorf("state: %v, ringer %v", err, st.Ringer)
	}
}
