package ua

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogLimiterFlood: 10,000 refusals from one source in 10 s write one
// line and one summary that counts the rest; a second source gets its own
// line; after a quiet interval the next refusal is written in full again.
func TestLogLimiterFlood(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	var buf syncBuf
	l := NewLogLimiter(slog.New(slog.NewTextHandler(&buf, nil)), clk, 10*time.Second, 64)
	for i := 0; i < 10000; i++ {
		l.Log(slog.LevelInfo, "127.0.0.5", "incoming call refused: busy", "from", "sip:x@y")
		clk.Advance(time.Millisecond)
	}
	l.Log(slog.LevelInfo, "127.0.0.6", "incoming call refused: busy")
	clk.Advance(time.Second)
	l.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (one line per source, one summary):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(buf.String(), "incoming call refused: busy (9999 more from 127.0.0.5 in the last 10s)") {
		t.Errorf("no summary counting the 9,999 refusals not written:\n%s", buf.String())
	}
	clk.Advance(time.Minute)
	l.Flush()
	if !l.Log(slog.LevelInfo, "127.0.0.5", "incoming call refused: busy") {
		t.Error("first refusal after a quiet interval not written")
	}
}

// TestLogLimiterBounded: a flood from 100,000 sources writes no more lines
// than the table has entries, and no count is lost.
func TestLogLimiterBounded(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	var buf syncBuf
	l := NewLogLimiter(slog.New(slog.NewTextHandler(&buf, nil)), clk, 10*time.Second, 16)
	for i := 0; i < 100000; i++ {
		l.Log(slog.LevelWarn, fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), "call refused")
	}
	clk.Advance(10 * time.Second)
	l.Flush()
	out := buf.String()
	if n := strings.Count(out, "\n"); n > 2*16 {
		t.Fatalf("%d lines for a flood from 100,000 sources, want at most %d", n, 2*16)
	}
	if !strings.Contains(out, "from "+OtherSources) {
		t.Errorf("no summary for the sources that did not fit:\n%s", out)
	}
	if len(l.entries) > 16 {
		t.Errorf("table holds %d entries, bound 16", len(l.entries))
	}
}
