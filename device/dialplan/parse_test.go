package dialplan_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/device/dialplan"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		digitMap string
		pos      int // 1-based character the error names
		msg      string
	}{
		{"", 1, "empty pattern"},
		{"()", 2, "empty pattern"},
		{"(1|)", 4, "empty pattern"},
		{"1||2", 3, "empty pattern"},
		{"(12", 1, "no \")\""},
		{"12)", 3, "unexpected ')'"},
		{"(1)2", 1, "no \")\""},
		{".1", 1, "\".\" must follow"},
		{"1..", 3, "\".\" must follow"},
		{"9[2-", 4, "unexpected '-'"},
		{"9[]", 2, "empty []"},
		{"9[5-2]", 3, "range 5-2"},
		{"9[*-#]", 3, "range *-#"},
		{"9[2-9", 2, "no \"]\""},
		{"12E", 3, "unexpected 'E'"},
		{"1+2", 2, "unexpected '+'"},
		{"<8:xxx", 1, "no \">\""},
		{"<8xx", 1, "no \":\""},
		{"<8:<1>", 4, "'<' not allowed"},
		{"<<8:>", 2, "\"<\" inside"},
		{"<8:>", 1, "dials nothing"},
		{"(1|<x.:>T)", 4, "dials nothing"},
		{"(1|<:9>)", 4, "matches no digit"},
		{"<:1 2>x", 4, "' ' not allowed"},
		{"<:1.>x", 4, "'.' not allowed"},
		{"x<:\x01>", 4, "byte 0x1"},
		{"[1-9].<:.>", 9, "'.' not allowed"},
		{strings.Repeat("x", dialplan.MaxElements+1), dialplan.MaxElements + 1, "longer than 64 elements"},
		{strings.Repeat("1|", dialplan.MaxPatterns) + "1", 2*dialplan.MaxPatterns + 1, "more than 200 patterns"},
		{strings.Repeat("x", dialplan.MaxMapLen+1), dialplan.MaxMapLen + 1, "longer than 4096"},
	} {
		_, err := dialplan.Parse(tc.digitMap)
		var se *dialplan.SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, dialplan.ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.digitMap, err)
			continue
		}
		if se.Pos+1 != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("Parse(%q): %v; want character %d: ...%s...", tc.digitMap, err, tc.pos, tc.msg)
		}
		if !strings.Contains(err.Error(), "character ") {
			t.Errorf("error %q does not name the position", err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, s := range []string{
		"(911|[2-9]11|0|00|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)",
		"xxxxxxx|x11",
		"(<8:>xxxxxxx|<:1>[2-9]xxxxxxxxx|<00:+>x.T|<9:>911<:#>|<:@gw0>x.)",
		"[x*#]x.T",
		"XT|[tT]1",
		"(\n\t*xx\n|#x.\n)",
		"<[2-9]x.:>#",
	} {
		if _, err := dialplan.Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

// FuzzParse: the parser never panics; a map it accepts answers Match for
// any input without panicking, and a full match has a number only of
// characters the map or the input hold.
func FuzzParse(f *testing.F) {
	f.Add("(911|[2-9]11|0|00|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)", "0114930T")
	f.Add("<8:>xxxxxxx|<:1>[2-9]xxxxxxxxx", "2125551234")
	f.Add("(x.<0:>x.T|[1-3]..)", "#")
	f.Fuzz(func(t *testing.T, digitMap, input string) {
		m, err := dialplan.Parse(digitMap)
		if err != nil {
			var se *dialplan.SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(digitMap) {
				t.Fatalf("Parse(%q) error %v: not a SyntaxError inside the map", digitMap, err)
			}
			return
		}
		for i := 0; i <= len(input) && i < 80; i++ {
			r := m.Match(input[:i])
			if r.Status == dialplan.NoMatch && (r.Number != "" || r.Timer != dialplan.NoTimer) {
				t.Fatalf("Match(%q) = %+v", input[:i], r)
			}
			if (r.Status == dialplan.Partial || r.Status == dialplan.FullAmbiguous) && r.Timer == dialplan.NoTimer {
				t.Fatalf("Match(%q) = %+v without a timer", input[:i], r)
			}
		}
	})
}
