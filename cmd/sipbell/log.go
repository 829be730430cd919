package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sipbell/sipbell/internal/localzone"
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
		return slog.New(newTee(slog.NewTextHandler(w, opts), lv)), nil
	case "json":
		return slog.New(newTee(slog.NewJSONHandler(w, opts), lv)), nil
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
		if z := localzone.Zone(); z != nil { // device.time_zone
			t = t.In(z)
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

// recentLog keeps the process's last log lines for the web page's log
// viewer (gokrazy has no journal a person can reach); every logger
// newLogger makes writes into it.
var recentLog = &logRing{}

const (
	ringLines   = 500  // lines kept
	ringLineMax = 1024 // bytes kept of one line
)

// logRing is a bounded ring of log lines in text form, secrets taken out.
type logRing struct {
	mu    sync.Mutex
	lines [ringLines]string
	next  int
	n     int
}

// Write takes one record's line (a slog text handler writes each record
// in one call).
func (r *logRing) Write(p []byte) (int, error) {
	s := strings.TrimRight(string(p), "\n")
	if len(s) > ringLineMax {
		s = s[:ringLineMax] + "…"
	}
	r.mu.Lock()
	r.lines[r.next] = s
	r.next = (r.next + 1) % ringLines
	r.n = min(r.n+1, ringLines)
	r.mu.Unlock()
	return len(p), nil
}

// Lines returns the last n lines, oldest first.
func (r *logRing) Lines(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = min(n, r.n)
	out := make([]string, 0, n)
	for i := r.next - n; i < r.next; i++ {
		out = append(out, r.lines[(i+ringLines)%ringLines])
	}
	return out
}

// secretKeys are attribute names whose values the log viewer never shows.
var secretKeys = map[string]bool{"password": true, "passwd": true, "pw": true, "secret": true, "token": true,
	"authorization": true, "cookie": true, "private_key": true, "identity": true}

// redactAttr takes secrets out of a line for the log viewer: values of
// secret-sounding keys, and the password in a URL.
func redactAttr(groups []string, a slog.Attr) slog.Attr {
	a = readableAttr(groups, a)
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "********")
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); strings.Contains(s, "://") && strings.Contains(s, "@") {
			if u, err := url.Parse(s); err == nil && u.User != nil {
				a.Value = slog.StringValue(u.Redacted())
			}
		}
	}
	return a
}

// teeHandler hands each record to the process's log and to recentLog.
type teeHandler struct{ out, ring slog.Handler }

func newTee(out slog.Handler, level slog.Leveler) slog.Handler {
	return teeHandler{out, slog.NewTextHandler(recentLog, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr})}
}

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool { return t.out.Enabled(ctx, l) }

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	_ = t.ring.Handle(ctx, r.Clone())
	return t.out.Handle(ctx, r)
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.out.WithAttrs(as), t.ring.WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.out.WithGroup(name), t.ring.WithGroup(name)}
}
