package ua

import (
	"log/slog"
	"strings"
	"testing"
)

// TestEventDropsLogBounded: with nobody reading the UA's events, the
// queue fills; the events dropped after that make one log line per
// interval, not one each (a flood of admitted calls must not flood the
// log).
func TestEventDropsLogBounded(t *testing.T) {
	t.Parallel()
	logs := &syncBuf{}
	u, err := New(testConfig(), "test", slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for range cap(u.events) + 300 {
		u.emit(Event{Kind: EventDTMF, Digit: '5'})
	}
	if n := strings.Count(logs.String(), "event dropped"); n != 1 {
		t.Errorf("%d log lines for 300 dropped events, want 1 (one per %v):\n%s", n, dropLogInterval, logs.String())
	}
}
