package cfgerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestListMergeAndPaths(t *testing.T) {
	var inner List
	inner.Add("registrar", "must be host[:port], got %q", "a b")
	inner.Add("", "needs a user")

	var outer List
	outer.Merge(Index("accounts", 0), inner)
	outer.Merge("board", errors.New("unknown profile"))
	outer.Merge("nothing", nil)

	want := []string{
		`accounts[0].registrar: must be host[:port], got "a b"`,
		`accounts[0]: needs a user`,
		`board: unknown profile`,
	}
	if len(outer) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(outer), len(want), outer)
	}
	for i, w := range want {
		if got := outer[i].Error(); got != w {
			t.Errorf("error %d = %q, want %q", i, got, w)
		}
	}
	var l List
	if !errors.As(fmt.Errorf("wrapped: %w", outer.Err()), &l) || len(l) != 3 {
		t.Errorf("errors.As through a wrap lost the list: %v", l)
	}
	if (List{}).Err() != nil {
		t.Error("empty list must be a nil error")
	}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "x", "x"}, {"x", "", "x"}, {"a", "b", "a.b"}, {"a", "[1]", "a[1]"},
	} {
		if got := Join(tc.a, tc.b); got != tc.want {
			t.Errorf("Join(%q,%q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	if got := (FieldError{Path: "p", Line: 4, Msg: "m"}).Error(); got != "line 4: p: m" {
		t.Errorf("FieldError = %q", got)
	}
}
