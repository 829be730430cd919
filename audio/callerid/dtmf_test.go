package callerid_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
	"github.com/sipbell/sipbell/audio/dtmf"
)

func TestDTMFDigits(t *testing.T) {
	for _, tc := range []struct {
		m    callerid.Message
		f    callerid.DTMFFormat
		want string
	}{
		{callerid.Message{Number: "4512345678", Name: "ignored"}, callerid.DTMFFormat{}, "A4512345678C"},
		{callerid.Message{Number: "4512345678"}, callerid.DTMFHash, "A4512345678#"},
		{callerid.Message{Number: "31201234567"}, callerid.DTMFFormat{Start: 'D', End: 'C'}, "D31201234567C"},
		{callerid.Message{NumberAbsent: callerid.Private}, callerid.DTMFC, "B00C"},
		{callerid.Message{NumberAbsent: callerid.Unavailable}, callerid.DTMFC, "B10C"},
		{callerid.Message{NumberAbsent: callerid.Private}, callerid.DTMFHash, "D1#"},
		{callerid.Message{NumberAbsent: callerid.Unavailable}, callerid.DTMFHash, "D3#"},
		{callerid.Message{Number: "123"}, callerid.DTMFFormat{Start: 'A'}, "A123"},
	} {
		got, err := callerid.DTMFDigits(tc.m, tc.f)
		if err != nil || got != tc.want {
			t.Errorf("DTMFDigits(%+v, %+v) = %q, %v; want %q", tc.m, tc.f, got, err, tc.want)
		}
	}
	if _, err := callerid.DTMFDigits(callerid.Message{}, callerid.DTMFC); !errors.Is(err, callerid.ErrNoNumber) {
		t.Errorf("empty message: %v, want ErrNoNumber", err)
	}
	if _, err := callerid.DTMFDigits(callerid.Message{NumberAbsent: callerid.Private},
		callerid.DTMFFormat{Start: 'A', End: 'C'}); !errors.Is(err, callerid.ErrNoNumber) {
		t.Errorf("no private code: %v, want ErrNoNumber", err)
	}
	for _, n := range []string{"+4512", "12#", "123456789012345678901"} {
		if _, err := callerid.DTMFDigits(callerid.Message{Number: n}, callerid.DTMFC); err == nil {
			t.Errorf("number %q accepted", n)
		}
	}
	if _, err := callerid.DTMFDigits(callerid.Message{Number: "1"}, callerid.DTMFFormat{Start: 'X'}); err == nil {
		t.Error("start digit X accepted")
	}
}

// The signal is what our own Goertzel detector (audio/dtmf) hears, with
// the configured timing and level.
func TestDTMFSignal(t *testing.T) {
	o := callerid.DTMFOptions{On: 60 * time.Millisecond, Off: 50 * time.Millisecond, Level: -20}
	x, err := callerid.DTMF(callerid.Message{Number: "4512345678"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 12 * 110 * 8; len(x) != want {
		t.Errorf("%d samples, want %d (12 digits of 110 ms)", len(x), want)
	}
	if p, want := peakOf(x), 2*callerid.Amplitude(-20); p > want+2 || p < want*0.9 {
		t.Errorf("peak %g, want about %g (two tones at -20 dBm0)", p, want)
	}
	d := dtmf.NewDetector(dtmf.DefaultThresholds())
	var got []byte
	x = append(x, make([]int16, 160*4)...)
	for i := 0; i+160 <= len(x); i += 160 {
		got = d.Process(got, x[i:i+160])
	}
	if string(got) != "A4512345678C" {
		t.Errorf("detected %q, want A4512345678C", got)
	}
	for _, bad := range []callerid.DTMFOptions{{Level: -5}, {Level: -41}, {On: time.Millisecond}} {
		if _, err := callerid.DTMF(callerid.Message{Number: "1"}, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}
