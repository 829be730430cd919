package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// newLogger builds the one logger every component gets. Times are written
// to the millisecond and durations rounded to what a person reads (see
// readableAttr), in both formats.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: readableAttr}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// logTimeFormat is RFC 3339 to the millisecond.
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// readableAttr writes times (the record's own and any attribute) to the
// millisecond, and durations as rounded text ("3.005s", "12.3ms",
// "350µs") instead of nanoseconds ("3.004512345s", or 3004512345 in JSON).
func readableAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindTime:
		t := a.Value.Time()
		if t.IsZero() {
			return a
		}
		a.Value = slog.StringValue(t.Format(logTimeFormat))
	case slog.KindDuration:
		a.Value = slog.StringValue(roundDuration(a.Value.Duration()).String())
	}
	return a
}

// roundDuration keeps about three significant digits: milliseconds from
// one second up, tenths of a millisecond below, microseconds below one
// millisecond.
func roundDuration(d time.Duration) time.Duration {
	switch a := d.Abs(); {
	case a >= time.Second:
		return d.Round(time.Millisecond)
	case a >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
