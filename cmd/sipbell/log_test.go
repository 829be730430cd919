package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLogRoundsDurationsAndTimes: the log a person reads carries no
// nanoseconds: durations are rounded to about three digits and times
// written to the millisecond, in text and in JSON.
func TestLogRoundsDurationsAndTimes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 17, 4, 5, 123456789, time.UTC)
	attrs := []any{"retry", 3004512345 * time.Nanosecond, "rtt", 12345678 * time.Nanosecond,
		"jitter", 345678 * time.Nanosecond, "up", 90*time.Minute + 1234567*time.Nanosecond, "since", at}

	var text bytes.Buffer
	log, err := newLogger(&text, "text", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("x", attrs...)
	line := text.String()
	for _, want := range []string{"retry=3.005s", "rtt=12.3ms", "jitter=346µs", "up=1h30m0.001s", "since=2026-12-05T17:04:05.123Z"} {
		if !strings.Contains(line, want) {
			t.Errorf("text log lacks %s:\n%s", want, line)
		}
	}

	var js bytes.Buffer
	if log, err = newLogger(&js, "json", "info"); err != nil {
		t.Fatal(err)
	}
	log.Info("x", attrs...)
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"retry": "3.005s", "rtt": "12.3ms", "jitter": "346µs", "up": "1h30m0.001s", "since": "2026-12-05T17:04:05.123Z"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("JSON %s = %v, want %v", k, m[k], v)
		}
	}
	// The record's own time: milliseconds, not nanoseconds.
	if ts, _ := m["time"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$`).MatchString(ts) {
		t.Errorf("JSON time %q: want RFC 3339 to the millisecond", m["time"])
	}
}
