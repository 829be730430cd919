package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestSipgoPackageLogsQuietUnlessTracing: sipgo's package-level log lines
// reach our log as errors only, everything while SIP tracing is on.
func TestSipgoPackageLogsQuietUnlessTracing(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	tr := &sipTracer{}
	log := slog.New(quietUnlessTracing{h: slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), t: tr})
	for _, tc := range []struct {
		trace bool
		level slog.Level
		want  bool
	}{
		{false, slog.LevelWarn, false}, {false, slog.LevelInfo, false}, {false, slog.LevelError, true},
		{true, slog.LevelWarn, true}, {true, slog.LevelDebug, true},
	} {
		tr.on.Store(tc.trace)
		out.Reset()
		log.Log(context.Background(), tc.level, "TCP ref went negative")
		if got := out.Len() > 0; got != tc.want {
			t.Errorf("trace=%v level=%v: logged=%v, want %v", tc.trace, tc.level, got, tc.want)
		}
	}
}
