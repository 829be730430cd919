package ua

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// LogLimiter writes the log lines a stranger can trigger (a refused call,
// a dropped flood, a failed login) at most once per interval for each
// source and message, and sums up the rest in one line per interval:
//
//	incoming call refused: busy (9812 more from 127.0.0.5 in the last 10s)
//
// The table of sources is bounded: past its size, new sources share one
// entry ("other sources"), so no flood of addresses can make it write more.
// Its zero value is not usable: build one with NewLogLimiter.
type LogLimiter struct {
	log      *slog.Logger
	clock    Clock
	interval time.Duration
	max      int

	mu        sync.Mutex
	entries   map[logKey]*logEntry
	lastSweep time.Time
}

type logKey struct{ source, msg string }

type logEntry struct {
	start      time.Time // the current interval began
	suppressed int       // lines counted, not written, since start
	level      slog.Level
}

// OtherSources is the source under which a LogLimiter counts sources
// that no longer fit in its table.
const OtherSources = "other sources"

// NewLogLimiter returns a limiter writing to log that lets one line per
// source and message through each interval, tracking at most maxSources
// (source, message) pairs. clock nil means the system clock.
func NewLogLimiter(log *slog.Logger, clock Clock, interval time.Duration, maxSources int) *LogLimiter {
	if clock == nil {
		clock = SystemClock{}
	}
	if interval <= 0 {
		interval = 10 * time.Second
	}
	if maxSources < 1 {
		maxSources = 1
	}
	return &LogLimiter{log: log, clock: clock, interval: interval, max: maxSources,
		entries: map[logKey]*logEntry{}}
}

// Log writes msg with args at level, with "source" added, unless a line
// with the same source and message was written in the current interval;
// then it only counts it for the summary. It reports whether it wrote.
func (l *LogLimiter) Log(level slog.Level, source, msg string, args ...any) bool {
	now := l.clock.Now()
	wrote := false
	l.mu.Lock()
	out := l.sweepLocked(now, false)
	k := logKey{source, msg}
	e, ok := l.entries[k]
	if !ok && len(l.entries) >= l.max {
		k = logKey{OtherSources, msg}
		e, ok = l.entries[k]
		if !ok {
			// Make room for the shared entry: drop one idle entry, or
			// (all busy) the one that summarises nothing yet.
			out = append(out, l.evictLocked(now)...)
		}
	}
	switch {
	case !ok:
		l.entries[k] = &logEntry{start: now, level: level}
		wrote = true
	case now.Sub(e.start) < l.interval:
		e.suppressed++
	case e.suppressed == 0:
		e.start, e.level = now, level
		wrote = true
	default:
		// A flood: one summary per interval, this line counted in the next.
		out = append(out, pending{k, e.suppressed, now.Sub(e.start), e.level})
		e.start, e.suppressed, e.level = now, 1, level
	}
	l.mu.Unlock()
	for _, p := range out {
		l.writeSummary(p)
	}
	if wrote {
		l.log.Log(context.Background(), level, msg, append([]any{"source", k.source}, args...)...)
	}
	return wrote
}

// Flush writes the summaries of intervals that have ended and forgets
// sources that have been quiet; the UA calls it periodically so that the
// last summary of a flood is written when the flood stops.
func (l *LogLimiter) Flush() {
	now := l.clock.Now()
	l.mu.Lock()
	out := l.sweepLocked(now, true)
	l.mu.Unlock()
	for _, p := range out {
		l.writeSummary(p)
	}
}

type pending struct {
	key   logKey
	n     int
	span  time.Duration
	level slog.Level
}

// sweepLocked, when forced or at most once per interval, ends the
// intervals that are over: entries with counted lines yield a summary to
// write once the lock is released, quiet ones are forgotten.
func (l *LogLimiter) sweepLocked(now time.Time, force bool) []pending {
	if !force && now.Sub(l.lastSweep) < l.interval {
		return nil
	}
	l.lastSweep = now
	var out []pending
	for k, e := range l.entries {
		if now.Sub(e.start) < l.interval {
			continue
		}
		if e.suppressed == 0 {
			delete(l.entries, k)
			continue
		}
		out = append(out, pending{k, e.suppressed, now.Sub(e.start), e.level})
		e.start, e.suppressed = now, 0
	}
	return out
}

// evictLocked drops one entry, preferably a quiet one, and returns the
// summary it still owed.
func (l *LogLimiter) evictLocked(now time.Time) []pending {
	var victim logKey
	found := false
	for k, e := range l.entries {
		if e.suppressed == 0 || now.Sub(e.start) >= l.interval {
			victim, found = k, true
			break
		}
	}
	if !found {
		for k := range l.entries {
			victim = k
			break
		}
	}
	e := l.entries[victim]
	delete(l.entries, victim)
	if e.suppressed > 0 {
		return []pending{{victim, e.suppressed, now.Sub(e.start), e.level}}
	}
	return nil
}

func (l *LogLimiter) writeSummary(p pending) {
	span := p.span.Round(time.Second)
	if span < time.Second {
		span = l.interval
	}
	l.log.Log(context.Background(), p.level,
		fmt.Sprintf("%s (%d more from %s in the last %s)", p.key.msg, p.n, p.key.source, span),
		"source", p.key.source, "suppressed", p.n)
}
