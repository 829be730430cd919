// Package history keeps the device's event history: rings, answers, missed
// calls, door openings, registration changes, configuration changes,
// provisioning outcomes and restarts, on disk across restarts and power
// loss, bounded in entries and bytes.
//
// Entries are appended as one JSON line each to segment files in a
// directory by a writer goroutine the Log owns, so Add never waits for
// the disk (an fsync on an SD card takes tens of milliseconds, and Add
// runs on a call's answer path). The writer takes every line queued
// since its last pass, writes them and fsyncs once (group commit), so a
// burst costs one fsync. The queue is bounded: when maxPending lines wait,
// Add waits for the writer. Crash-only semantics: a kill or power cut
// loses at most the lines not yet synced (Sync waits for them; Close
// flushes and syncs everything) and leaves at most a torn last line,
// which the next Open cuts off; what is on disk is a prefix of what was
// added.
// When the current segment reaches half the bounds a new one starts and
// the oldest is deleted, so the files never hold more than the bounds
// (plus one line).
package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kinds of entries.
const (
	KindRing         = "ring"        // a visitor pressed a button, or a call came in
	KindAnswered     = "answered"    // a call was connected: Who answered
	KindMissed       = "missed"      // nobody answered
	KindCallEnded    = "call-ended"  // a call ended: Detail says why
	KindDoorOpened   = "door-opened" // Who opened it, How (dtmf, message, api, web)
	KindDoorClosed   = "door-closed" // the contact reports the door closed
	KindDoorLeftOpen = "door-left-open"
	KindTamper       = "tamper"       // the tamper switch: Detail says opened or closed
	KindRegistration = "registration" // Who is the account; Detail the state and reason
	KindConfig       = "config"       // a configuration change: Detail what changed
	KindProvisioning = "provisioning" // a provisioning fetch's outcome
	KindStart        = "start"        // the firmware started
	KindPassword     = "password"     // the admin password was reset on the device (How: file)
	KindLockout      = "lockout"      // wrong door codes locked a source out: Who, How (dtmf, keypad)
	KindDND          = "dnd"          // do-not-disturb on or off (Detail); Who switched it (schedule, switch, mqtt:<user>)
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("history: closed")

// ErrWrite is wrapped by Add, Sync and Close when the writer could not
// write or sync queued entries (they stay listed in memory).
var ErrWrite = errors.New("history: write failed")

// maxPending bounds the lines queued for the writer.
const maxPending = 256

// Entry is one thing that happened.
type Entry struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Who    string    `json:"who,omitempty"`
	How    string    `json:"how,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Options bound the history.
type Options struct {
	MaxEntries int              // at most this many entries kept; 0: 2000
	MaxBytes   int64            // at most this many bytes on disk; 0: 1 MiB
	Now        func() time.Time // the clock; nil: time.Now
	// Zone is the zone answers are in when a request names none
	// (device.time_zone); nil, or nil returned: UTC.
	Zone func() *time.Location

	// syncFile replaces (*os.File).Sync in tests (a slow disk).
	syncFile func(*os.File) error
}

// maxField bounds each text field of an entry (callers' names come from
// strangers).
const maxField = 256

const segPrefix, segSuffix = "history-", ".jsonl"

// Log is the history. Its methods are safe for concurrent use.
type Log struct {
	dir  string
	opts Options

	mu      sync.Mutex
	cond    *sync.Cond // on mu: lines queued, written, room in the queue
	entries []Entry    // oldest first, at most MaxEntries
	seq     uint64
	closed  bool
	pending []pendingLine // queued for the writer, at most maxPending
	written uint64        // the newest Seq written and synced (or failed)
	werr    error         // the writer's last failure; nil after a good pass
	exited  bool          // the writer ended (after Close)
	done    chan struct{} // closed when the writer ends

	// Owned by the writer goroutine once Open returns.
	segs     []int // segment numbers on disk, oldest first
	f        *os.File
	segBytes int64
	segCount int
}

// pendingLine is one entry's JSON line waiting for the writer.
type pendingLine struct {
	seq  uint64
	kind string
	line []byte
}

// Open reads the history in dir (created when missing) and opens it for
// appending. A torn last line is cut off.
func Open(dir string, opts Options) (*Log, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 2000
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.syncFile == nil {
		opts.syncFile = (*os.File).Sync
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: open %s: %w", dir, err)
	}
	l := &Log{dir: dir, opts: opts}
	segs, err := l.listSegments()
	if err != nil {
		return nil, err
	}
	// A crash inside roll, after the new segment was made and before the
	// oldest was removed, leaves three: finish that removal now.
	for len(segs) > 2 {
		if err := os.Remove(l.segPath(segs[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("history: remove old segment %d: %w", segs[0], err)
		}
		segs = segs[1:]
		syncDir(dir)
	}
	l.segs = segs
	for i, n := range segs {
		last := i == len(segs)-1
		if err := l.load(n, last); err != nil {
			return nil, err
		}
	}
	if len(l.entries) > opts.MaxEntries {
		l.entries = l.entries[len(l.entries)-opts.MaxEntries:]
	}
	if len(l.entries) > 0 {
		l.seq = l.entries[len(l.entries)-1].Seq
	}
	if len(segs) == 0 {
		if err := l.roll(); err != nil {
			return nil, err
		}
	} else if err := l.openSeg(segs[len(segs)-1]); err != nil {
		return nil, err
	}
	l.written = l.seq
	l.cond = sync.NewCond(&l.mu)
	l.done = make(chan struct{})
	go l.writer()
	return l, nil
}

func (l *Log) segPath(n int) string {
	return filepath.Join(l.dir, segPrefix+strconv.Itoa(n)+segSuffix)
}

func (l *Log) listSegments() ([]int, error) {
	des, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("history: read %s: %w", l.dir, err)
	}
	var segs []int
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix))
		if err == nil && n >= 0 {
			segs = append(segs, n)
		}
	}
	sort.Ints(segs)
	return segs, nil
}

// load reads segment n; in the last one a torn or unreadable tail is cut
// off so new lines start clean.
func (l *Log) load(n int, last bool) error {
	path := l.segPath(n)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("history: read %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var good int64
	count := 0
	for {
		line, err := r.ReadBytes('\n')
		if err != nil { // io.EOF with a partial line: torn by a crash
			break
		}
		var e Entry
		if json.Unmarshal(line, &e) != nil {
			break
		}
		good += int64(len(line))
		count++
		l.entries = append(l.entries, e)
		if len(l.entries) > 2*l.opts.MaxEntries {
			l.entries = append(l.entries[:0], l.entries[len(l.entries)-l.opts.MaxEntries:]...)
		}
	}
	if last {
		l.segBytes, l.segCount = good, count
		if st, err := f.Stat(); err == nil && st.Size() > good {
			if err := os.Truncate(path, good); err != nil {
				return fmt.Errorf("history: cut torn tail of %s: %w", path, err)
			}
		}
	}
	return nil
}

func (l *Log) openSeg(n int) error {
	f, err := os.OpenFile(l.segPath(n), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("history: open segment %d: %w", n, err)
	}
	l.f = f
	return nil
}

// roll starts a new segment and deletes the ones beyond the bounds (the
// current and one before it are kept).
func (l *Log) roll() error {
	next := 0
	if len(l.segs) > 0 {
		next = l.segs[len(l.segs)-1] + 1
	}
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
	if err := l.openSeg(next); err != nil {
		return err
	}
	l.segs = append(l.segs, next)
	l.segBytes, l.segCount = 0, 0
	syncDir(l.dir)
	for len(l.segs) > 2 {
		if err := os.Remove(l.segPath(l.segs[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("history: remove old segment %d: %w", l.segs[0], err)
		}
		l.segs = l.segs[1:]
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Add records e (its Seq and, when zero, its Time are set here): it is
// listed at once and queued for the writer; Add waits only when the queue
// is full. It returns ErrClosed after Close, and wraps ErrWrite (the entry
// still recorded) while the writer's last pass failed.
func (l *Log) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.pending) >= maxPending && !l.closed {
		l.cond.Wait()
	}
	if l.closed {
		return ErrClosed
	}
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	e.Kind, e.Who, e.How, e.Detail = clip(e.Kind), clip(e.Who), clip(e.How), clip(e.Detail)
	e.Seq = l.seq + 1
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history: add %s: %w", e.Kind, err)
	}
	l.seq = e.Seq
	l.pending = append(l.pending, pendingLine{seq: e.Seq, kind: e.Kind, line: append(line, '\n')})
	l.cond.Broadcast()
	l.entries = append(l.entries, e)
	if len(l.entries) > l.opts.MaxEntries {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-l.opts.MaxEntries:]...)
	}
	if l.werr != nil {
		return fmt.Errorf("history: add %s: %w", e.Kind, l.werr)
	}
	return nil
}

// Sync waits until every entry added so far is on disk (written and
// synced), or the writer failed or ended.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.written < l.seq && !l.exited {
		l.cond.Wait()
	}
	if l.werr != nil {
		return fmt.Errorf("history: sync: %w", l.werr)
	}
	return nil
}

// writer writes what Add queues, one batch and one fsync per pass, until
// Close; then it drains the queue and closes the segment.
func (l *Log) writer() {
	defer close(l.done)
	var spare []pendingLine
	for {
		l.mu.Lock()
		for len(l.pending) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.pending) == 0 { // closed and drained
			l.exited = true
			l.cond.Broadcast()
			l.mu.Unlock()
			return
		}
		batch := l.pending
		l.pending = spare[:0]
		l.cond.Broadcast() // room in the queue
		l.mu.Unlock()

		err := l.writeBatch(batch)
		last := batch[len(batch)-1].seq
		clear(batch)
		spare = batch[:0]

		l.mu.Lock()
		l.written, l.werr = last, err
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// writeBatch appends the lines, rolling segments at the bounds, and
// syncs once.
func (l *Log) writeBatch(batch []pendingLine) error {
	for _, p := range batch {
		half := max(l.opts.MaxBytes/2, 1)
		if l.segCount > 0 && (l.segBytes+int64(len(p.line)) > half || l.segCount >= max(l.opts.MaxEntries/2, 1)) {
			if err := l.syncFile(); err != nil {
				return err
			}
			if err := l.roll(); err != nil {
				return fmt.Errorf("%w: %w", ErrWrite, err)
			}
		}
		if _, err := l.f.Write(p.line); err != nil {
			return fmt.Errorf("%w: add %s (seq %d): %w", ErrWrite, p.kind, p.seq, err)
		}
		l.segBytes += int64(len(p.line))
		l.segCount++
	}
	return l.syncFile()
}

// syncFile syncs the current segment.
func (l *Log) syncFile() error {
	if err := l.opts.syncFile(l.f); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrWrite, l.f.Name(), err)
	}
	return nil
}

func clip(s string) string {
	if len(s) <= maxField {
		return s
	}
	return strings.ToValidUTF8(s[:maxField], "") + "…"
}

// Filter selects entries; zero values select all.
type Filter struct {
	Kinds []string  // any of these kinds
	Since time.Time // at or after this time
	Limit int       // the newest Limit entries
}

// List returns the entries f selects, oldest first, among those on disk
// (or that the writer failed to write): an entry just added shows once
// its line is synced, so what is listed survives a power cut.
func (l *Log) List(f Filter) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for _, e := range l.entries {
		if e.Seq > l.written {
			break // queued; entries are in Seq order
		}
		if !f.Since.IsZero() && e.Time.Before(f.Since) {
			continue
		}
		if len(f.Kinds) > 0 && !contains(f.Kinds, e.Kind) {
			continue
		}
		out = append(out, e)
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Close writes and syncs every queued entry, stops the writer and closes
// the current segment; later Adds fail with ErrClosed. It returns the
// writer's last failure, if any.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	<-l.done
	l.mu.Lock()
	werr := l.werr
	l.mu.Unlock()
	var cerr error
	if l.f != nil {
		if err := l.f.Close(); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			cerr = fmt.Errorf("history: close: %w", err)
		}
	}
	if werr != nil {
		return errors.Join(fmt.Errorf("history: close: %w", werr), cerr)
	}
	return cerr
}
