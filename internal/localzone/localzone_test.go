package localzone

import (
	"strings"
	"testing"
	"time"
)

// TestLoadAndLocal: names from the built-in database load, others are
// refused with an example; Local follows Set, and the system's zone
// when none is set.
func TestLoadAndLocal(t *testing.T) {
	for _, tc := range []struct{ name, err string }{
		{"", ""}, {"Europe/Berlin", ""}, {"UTC", ""},
		{"Mars/Olympus", `unknown time zone "Mars/Olympus": a zone such as Europe/Berlin`},
		{"Local", `unknown time zone "Local"`},
	} {
		_, err := Load(tc.name)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Load(%q): %v, want %q", tc.name, err, tc.err)
		}
	}
	at := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	berlin, _ := Load("Europe/Berlin")
	Set(berlin)
	if got := Local(at).Format(time.RFC3339); got != "2026-12-06T03:00:00+01:00" {
		t.Errorf("Local in Berlin: %s", got)
	}
	Set(nil)
	if Zone() != nil || !Local(at).Equal(at) || Local(at).Location() != time.Local {
		t.Errorf("unset: zone %v, Local %v", Zone(), Local(at))
	}
}
