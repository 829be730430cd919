package dialplan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device/dialplan"
	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestPlanDefaults(t *testing.T) {
	p, err := dialplan.Config{}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for in, w := range map[string]want{
		"":          pl,
		"5":         ps, // xx.T: one digit is a number once the timer runs out
		"55":        ps,
		"5551234T":  uni("5551234"),
		"5551234#":  uni("5551234"), // the dial key dials at once
		"*21*":      no,
		"*21":       ps,
		"#":         no,
		"5T":        uni("5"),
		"T":         no,
		"0049301#":  uni("0049301"),
		"0049301#5": no,
	} {
		r := p.Match(in)
		if r.Status != w.s || r.Timer != w.t || r.Number != w.number {
			t.Errorf("Match(%q) = %v %v %q, want %v %v %q", in, r.Status, r.Timer, r.Number, w.s, w.t, w.number)
		}
	}
	if p.Timer(dialplan.Short) != 4*time.Second || p.Timer(dialplan.Long) != 10*time.Second || p.Timer(dialplan.NoTimer) != 0 {
		t.Error("default timers wrong")
	}
	if _, _, ok := p.OffHook(); ok {
		t.Error("hotline without configuration")
	}
	if !strings.Contains(p.String(), dialplan.DefaultDigitMap) {
		t.Errorf("String() = %q", p.String())
	}
}

func TestPlanSpeedDialsAndKeys(t *testing.T) {
	p, err := dialplan.Config{
		DigitMap:   "([2-9]xxxxxx|*xx|x.#)",
		DialKey:    "*",
		SpeedDials: map[string]string{"2": "sip:alice@pbx.test", "#9": "+4930123456"},
		ShortTimer: 2 * time.Second, LongTimer: 8 * time.Second,
	}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for in, w := range map[string]want{
		"2":        amb("sip:alice@pbx.test"), // 2xxxxxx may follow
		"2T":       uni("sip:alice@pbx.test"),
		"#9":       uni("+4930123456"),
		"2345678":  amb("2345678"), // x.# may go on
		"12#":      uni("12#"),     // a map pattern with # is just a digit here
		"*12":      uni("*12"),
		"2345678*": uni("2345678"), // the dial key * (no pattern matches 2345678*)
		"234*":     no,
		"*1*":      no, // *1 then the key: *1 matches nothing, even timed out
	} {
		r := p.Match(in)
		if r.Status != w.s || r.Timer != w.t || r.Number != w.number {
			t.Errorf("Match(%q) = %v %v %q, want %v %v %q", in, r.Status, r.Timer, r.Number, w.s, w.t, w.number)
		}
	}
	if p.Timer(dialplan.Short) != 2*time.Second || p.Timer(dialplan.Long) != 8*time.Second {
		t.Error("timers not taken from the config")
	}
	off, err := dialplan.Config{DialKey: "none"}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if r := off.Match("123#"); r.Status != dialplan.NoMatch {
		t.Errorf("dial key off: Match(123#) = %v", r.Status)
	}
}

func TestPlanHotline(t *testing.T) {
	p, err := dialplan.Config{Hotline: "sip:concierge@pbx.test"}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if n, d, ok := p.OffHook(); !ok || n != "sip:concierge@pbx.test" || d != 0 {
		t.Errorf("hotline: %q %v %v", n, d, ok)
	}
	p, _ = dialplan.Config{Hotline: "112", HotlineDelay: 5 * time.Second}.Plan()
	if n, d, ok := p.OffHook(); !ok || n != "112" || d != 5*time.Second {
		t.Errorf("warmline: %q %v %v", n, d, ok)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  dialplan.Config
		path string
		msg  string
	}{
		{dialplan.Config{DigitMap: "911|[2-9"}, "digit_map", "character 5"},
		{dialplan.Config{ShortTimer: time.Millisecond}, "short_timer", "out of range"},
		{dialplan.Config{LongTimer: 2 * time.Minute}, "long_timer", "out of range"},
		{dialplan.Config{ShortTimer: 20 * time.Second, LongTimer: 10 * time.Second}, "long_timer", "shorter than short_timer"},
		{dialplan.Config{DialKey: "5"}, "dial_key", "want"},
		{dialplan.Config{SpeedDials: map[string]string{"12345": "1"}}, "speed_dials.12345", "code"},
		{dialplan.Config{SpeedDials: map[string]string{"x": "1"}}, "speed_dials.x", "code"},
		{dialplan.Config{SpeedDials: map[string]string{"1": "a b"}}, "speed_dials.1", "target"},
		{dialplan.Config{SpeedDials: map[string]string{"1": ""}}, "speed_dials.1", "target"},
		{dialplan.Config{Hotline: "1\n2"}, "hotline", "printable"},
		{dialplan.Config{HotlineDelay: time.Second}, "hotline_delay", "hotline is empty"},
		{dialplan.Config{Hotline: "1", HotlineDelay: time.Hour}, "hotline_delay", "out of range"},
	} {
		err := tc.cfg.Validate()
		var l cfgerr.List
		if !errors.As(err, &l) || len(l) != 1 || l[0].Path != tc.path || !strings.Contains(l[0].Msg, tc.msg) {
			t.Errorf("Validate(%+v) = %v; want one error at %s with %q", tc.cfg, err, tc.path, tc.msg)
		}
	}
	if err := (dialplan.Config{DigitMap: "(", DialKey: "x"}).Validate(); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("two problems, want two lines: %v", err)
	}
}
