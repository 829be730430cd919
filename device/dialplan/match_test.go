package dialplan_test

import (
	"testing"

	"github.com/sipbell/sipbell/device/dialplan"
)

const nanp = "(911|[2-9]11|0|00|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)"

// want is an expected Result in short form: status, timer, number.
type want struct {
	s      dialplan.Status
	t      dialplan.Timer
	number string
}

var (
	no  = want{dialplan.NoMatch, dialplan.NoTimer, ""}
	pl  = want{dialplan.Partial, dialplan.Long, ""}
	ps  = want{dialplan.Partial, dialplan.Short, ""}
	amb = func(n string) want { return want{dialplan.FullAmbiguous, dialplan.Short, n} }
	uni = func(n string) want { return want{dialplan.FullUnique, dialplan.NoTimer, n} }
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		digitMap string
		cases    map[string]want
	}{
		{nanp, map[string]want{
			"":             pl,
			"9":            pl,
			"91":           pl,
			"911":          amb("911"), // 911xxxx may follow ([2-9]xxxxxx)
			"411":          amb("411"),
			"4":            pl,
			"41":           pl,
			"4123":         pl,
			"4123456":      uni("4123456"),
			"41234567":     no,
			"0":            amb("0"), // 00 and 011... may follow
			"00":           uni("00"),
			"01":           pl,
			"011":          ps, // 011 then T already matches 011x.T
			"01149301234":  ps,
			"01149301234T": uni("01149301234"),
			"0T":           uni("0"),
			"1":            pl,
			"12125551234":  uni("12125551234"),
			"11":           no,
			"1212555123T":  no,
			"T":            no,
			"5T":           no,
			"*":            no,
			"9a":           no,
		}},
		// Without the outer parentheses, as SPA/Grandstream write maps.
		{"911|[2-9]11|0|00|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T", map[string]want{
			"0": amb("0"), "4123456": uni("4123456"), "011": ps,
		}},
		// Substitutions.
		{"(<8:>xxxxxxx|<:1>[2-9]xxxxxxxxx|<00:+>x.T|<9:>911<:#>)", map[string]want{
			"81234567":   amb("1234567"), // <:1>[2-9]xxxxxxxxx may go on
			"812345678":  pl,
			"2125551234": uni("12125551234"),
			"0049301234": ps,
			"0049301T":   uni("+49301"),
			"9911":       amb("911#"),
			"8":          pl,
		}},
		// Sets, ranges, letters, * and #, repeats.
		{"([135]x|*[67]x|#[0-3*#]|*xx*x.#|A[bD]|x.)", map[string]want{
			"1":        amb("1"), // x. matches anything
			"15":       amb("15"),
			"*6":       pl,
			"*61":      amb("*61"), // *xx*x.# may go on
			"*8":       pl,
			"*12*345":  pl,
			"*12*345#": uni("*12*345#"),
			"#*":       uni("#*"),
			"#4":       no,
			"AB":       uni("AB"),
			"ab":       uni("ab"),
			"AA":       no,
			"":         pl,
		}},
		{"(<9:>911<:#>|<*:>[2-9]x)", map[string]want{"9911": uni("911#"), "*55": uni("55"), "99": pl}},
		// T inside a pattern, and a zero-or-more that can be empty.
		{"(1xxT|2x.3)", map[string]want{
			"123":  ps,
			"123T": uni("123"),
			"1234": no,
			"23":   amb("23"),
			"2553": amb("2553"),
			"25":   pl,
		}},
		// Spaces and lower case are fine.
		{" ( 9 x x | 1t ) ", map[string]want{"912": uni("912"), "9T": no, "1": ps, "1T": uni("1")}},
	} {
		m, err := dialplan.Parse(tc.digitMap)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.digitMap, err)
		}
		for in, w := range tc.cases {
			r := m.Match(in)
			if r.Status != w.s || r.Timer != w.t || r.Number != w.number {
				t.Errorf("%s: Match(%q) = %v %v %q (pattern %q), want %v %v %q",
					tc.digitMap, in, r.Status, r.Timer, r.Number, r.Pattern, w.s, w.t, w.number)
			}
		}
	}
}

func TestMatchReportsPattern(t *testing.T) {
	m, _ := dialplan.Parse(nanp)
	if r := m.Match("411"); r.Pattern != "[2-9]11" {
		t.Errorf("pattern %q, want [2-9]11", r.Pattern)
	}
	if r := m.Match("911"); r.Pattern != "911" {
		t.Errorf("pattern %q, want the first that matches, 911", r.Pattern)
	}
	if m.String() != nanp {
		t.Errorf("String() = %q", m.String())
	}
	long := make([]byte, dialplan.MaxInput+1)
	for i := range long {
		long[i] = '5'
	}
	if r := m.Match(string(long)); r.Status != dialplan.NoMatch {
		t.Errorf("over-long input: %v", r.Status)
	}
}

func BenchmarkMatch(b *testing.B) {
	m, _ := dialplan.Parse(nanp)
	b.ReportAllocs()
	for b.Loop() {
		if m.Match("12125551234").Status != dialplan.FullUnique {
			b.Fatal("no match")
		}
	}
}
