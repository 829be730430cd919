package main

import (
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// trimQuiet is how long the device must have had no call before it gives
// memory back: long enough that a caller's next attempt or a burst of
// short calls does not pay for faulting its code in again each time.
const trimQuiet = 5 * time.Second

// memTrim gives the heap's memory back to the system once the device has
// been quiet for trimQuiet after its start or a call (issue 16): the Go
// collector runs only when the heap reaches its goal (4 MB), so before
// that every byte ever allocated stays resident; debug.FreeOSMemory
// collects it and returns the free pages. Measured: anonymous memory over
// eight calls stayed at about 3.8 MB instead of growing to 5.3 MB; the
// collection takes about 2 ms here. The executable's pages are not
// released again (releaseStartupPages does once, at start): that took
// the RSS between calls from about 13 to 7 MB, but the next call's
// answer then faulted the call path's code back in, INVITE->200 4.8-5.1
// ms instead of 1.3-2.5 ms. A call in progress defers the trim (hold); it
// runs at most once per quiet period, however many calls a stranger
// makes.
type memTrim struct {
	log       *slog.Logger
	afterFunc func(time.Duration, func()) *time.Timer // time.AfterFunc; tests inject theirs
	run       func()                                  // m.trim; tests count instead

	mu    sync.Mutex
	timer *time.Timer // the pending trim; nil when none
	gen   uint64      // counts schedulings: a stopped timer's late fire is ignored
	calls int         // calls whose media is open
}

func newMemTrim(log *slog.Logger) *memTrim {
	m := &memTrim{log: log, afterFunc: time.AfterFunc}
	m.run = m.trim
	return m
}

// hold defers any trim while a call's media is open. A nil memTrim
// (a test's mediaHandler) does nothing.
func (m *memTrim) hold() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// release ends a hold (a call's media closed) and schedules a trim.
func (m *memTrim) release() {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.calls = max(m.calls-1, 0)
	m.mu.Unlock()
	m.kick()
}

// kick schedules a trim trimQuiet from now, replacing a pending one,
// unless a call holds it off.
func (m *memTrim) kick() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer != nil {
		m.timer.Stop()
	}
	m.timer = nil
	if m.calls > 0 {
		return
	}
	m.gen++
	gen := m.gen
	m.timer = m.afterFunc(trimQuiet, func() { m.fire(gen) })
}

// fire runs the trim scheduled as gen if it is still the pending one.
func (m *memTrim) fire(gen uint64) {
	m.mu.Lock()
	if m.timer == nil || m.gen != gen || m.calls > 0 {
		m.mu.Unlock()
		return
	}
	m.timer = nil
	m.mu.Unlock()
	m.run()
}

// trim collects the garbage and returns the heap's free pages to the
// system.
func (m *memTrim) trim() {
	before := selfStatusKB("VmRSS")
	released := heapReleased()
	start := time.Now()
	debug.FreeOSMemory()
	took := time.Since(start)
	released = heapReleased() - released
	m.log.Info("memory trimmed", "heap_released_kb", released>>10, "gc_us", took.Microseconds(),
		"rss_kb_before", before, "rss_kb_after", selfStatusKB("VmRSS"))
}

// heapReleased is the bytes of heap memory returned to the system.
func heapReleased() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
