package history

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHistoryInATimeZone: ?tz= gives the times in that zone (CSV and
// JSON), from the built-in zone database; a zone that does not exist is
// refused with what to write.
func TestHistoryInATimeZone(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 22, 30, 0, 0, time.UTC)
	l := mustOpen(t, t.TempDir(), Options{Now: func() time.Time { return at }})
	if err := l.Add(Entry{Kind: KindDoorOpened, Who: "sip:alice@pbx", How: "web"}); err != nil {
		t.Fatal(err)
	}
	_ = l.Sync()
	tests := []struct {
		query string
		code  int
		want  string
	}{
		{"format=csv", 200, "2026-12-05T22:30:00Z"},
		{"format=csv&tz=Europe/Berlin", 200, "2026-12-05T23:30:00+01:00"},
		{"tz=America/New_York", 200, `"time":"2026-12-05T17:30:00-05:00"`},
		{"tz=Mars/Olympus", 400, "a time zone such as Europe/Berlin"},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		l.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/history?"+tc.query, nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body.String())
		}
	}
}

// TestHistoryInTheDeviceZone: without ?tz= the times are in the device's
// zone (Options.Zone), and ?tz= still wins.
func TestHistoryInTheDeviceZone(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 22, 30, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, t.TempDir(), Options{Now: func() time.Time { return at }, Zone: func() *time.Location { return berlin }})
	if err := l.Add(Entry{Kind: KindDoorOpened, Who: "sip:alice@pbx", How: "web"}); err != nil {
		t.Fatal(err)
	}
	_ = l.Sync()
	for _, tc := range []struct{ query, want string }{
		{"format=csv", "2026-12-05T23:30:00+01:00"},
		{"", `"time":"2026-12-05T23:30:00+01:00"`},
		{"tz=America/New_York", `"time":"2026-12-05T17:30:00-05:00"`},
	} {
		rec := httptest.NewRecorder()
		l.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/history?"+tc.query, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%q: %d %s", tc.query, rec.Code, rec.Body.String())
		}
	}
}
