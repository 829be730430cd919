// Package devicetest has fakes for the device package's interfaces: a
// virtual Clock, Outputs that record every pattern set, a Phone that
// records calls and hands out call IDs, and Sounds that record cues. They
// are safe for concurrent use.
package devicetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sipbell/sipbell/device"
)

// Clock is a virtual clock: time moves only by Advance, and timers whose
// time has come deliver then (never blocking; like time.Timer, a timer's
// channel holds one value).
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

// NewClock returns a clock at a fixed, arbitrary instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires once the clock reaches now+d.
func (c *Clock) NewTimer(d time.Duration) device.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{clk: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			keep = append(keep, t)
			continue
		}
		select {
		case t.ch <- c.now:
		default:
		}
	}
	c.timers = keep
}

// Pending returns how many timers wait to fire.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type timer struct {
	clk *Clock
	at  time.Time
	ch  chan time.Time
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	for i, x := range t.clk.timers {
		if x == t {
			t.clk.timers = append(t.clk.timers[:i], t.clk.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Set is one recorded Outputs.Set call.
type Set struct {
	Time    time.Time
	Output  device.Output
	Index   int
	Pattern device.Pattern
}

// Outputs records every pattern set, stamped with the clock's time.
type Outputs struct {
	Clock device.Clock
	// Err, when set, is returned by Set (and nothing is recorded).
	Err error

	mu   sync.Mutex
	sets []Set
}

// NewOutputs records with clk's time.
func NewOutputs(clk device.Clock) *Outputs { return &Outputs{Clock: clk} }

// Set implements device.Outputs.
func (o *Outputs) Set(out device.Output, index int, p device.Pattern) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Err != nil {
		return o.Err
	}
	o.sets = append(o.sets, Set{Time: o.Clock.Now(), Output: out, Index: index, Pattern: p})
	return nil
}

// Sets returns every recorded call, in order.
func (o *Outputs) Sets() []Set {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Set(nil), o.sets...)
}

// Patterns returns the patterns set on out, in order, as their names
// ("slow blink", "on", "pulse 3s").
func (o *Outputs) Patterns(out device.Output) []string {
	var s []string
	for _, x := range o.Sets() {
		if x.Output == out {
			s = append(s, x.Pattern.String())
		}
	}
	return s
}

// Interval is a span during which an output was active.
type Interval struct{ From, To time.Time }

// Duration is To-From.
func (i Interval) Duration() time.Duration { return i.To.Sub(i.From) }

// Active returns the spans during which out was on up to until, reading
// pulses as on for their length or until the next pattern replaced them,
// On as on until replaced, and every other pattern as off.
func (o *Outputs) Active(out device.Output, until time.Time) []Interval {
	var iv []Interval
	var cur *Interval
	for _, x := range o.Sets() {
		if x.Output != out {
			continue
		}
		if cur != nil && x.Time.Before(cur.To) {
			cur.To = x.Time
		}
		cur = nil
		switch x.Pattern.Kind {
		case device.Pulse:
			iv = append(iv, Interval{x.Time, x.Time.Add(x.Pattern.Duration)})
		case device.On:
			iv = append(iv, Interval{x.Time, until})
		default:
			continue
		}
		cur = &iv[len(iv)-1]
	}
	if cur != nil && until.Before(cur.To) {
		cur.To = until
	}
	return iv
}

// Call is one recorded Phone request.
type Call struct {
	Op     string // "dial", "answer" or "hangup"
	Target string // dial: the targets joined by ","; answer/hangup: the call ID
	ID     string // the call ID
}

// String is "dial 1001 → c1", "hangup c1".
func (c Call) String() string {
	if c.Op == "dial" {
		return fmt.Sprintf("dial %s → %s", c.Target, c.ID)
	}
	if c.Op == "transfer" {
		return fmt.Sprintf("transfer %s → %s", c.ID, c.Target)
	}
	return c.Op + " " + c.ID
}

// Phone records the device's requests and hands out call IDs "c1", "c2"…
// Tests play the far end by giving the device PhoneEvents.
type Phone struct {
	// DialErr maps targets whose Dial fails to the error.
	DialErr map[string]error
	// AnswerErr, when set, is returned by Answer (which is still recorded).
	AnswerErr error
	// TransferErr maps transfer targets whose transfer fails to the error
	// (reported through Transfer's failed callback).
	TransferErr map[string]error
	// OnDial, when set, is called (from the device's goroutine) after each
	// Dial is recorded.
	OnDial func(target, id string)

	mu    sync.Mutex
	calls []Call
	n     int
}

// Dial implements device.Phone. A call to several targets fails with the
// DialErr of the first that has one.
func (p *Phone) Dial(_ context.Context, targets []string) (string, error) {
	target := strings.Join(targets, ",")
	p.mu.Lock()
	var err error
	for _, t := range targets {
		if err == nil {
			err = p.DialErr[t]
		}
	}
	if err != nil {
		p.calls = append(p.calls, Call{Op: "dial", Target: target, ID: "error"})
		p.mu.Unlock()
		return "", err
	}
	p.n++
	id := fmt.Sprintf("c%d", p.n)
	p.calls = append(p.calls, Call{Op: "dial", Target: target, ID: id})
	f := p.OnDial
	p.mu.Unlock()
	if f != nil {
		f(target, id)
	}
	return id, nil
}

// Answer implements device.Phone.
func (p *Phone) Answer(_ context.Context, id string) error {
	p.record("answer", id)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.AnswerErr
}

// Hangup implements device.Phone.
func (p *Phone) Hangup(_ context.Context, id string) error { p.record("hangup", id); return nil }

// Hold implements device.CallControl.
func (p *Phone) Hold(_ context.Context, id string) error { p.record("hold", id); return nil }

// Resume implements device.CallControl.
func (p *Phone) Resume(_ context.Context, id string) error { p.record("resume", id); return nil }

// Transfer implements device.CallControl: recorded as "transfer <id> →
// <target>". A target in TransferErr fails: failed is called with its
// error before Transfer returns (the device queues it).
func (p *Phone) Transfer(_ context.Context, id, target string, failed func(error)) error {
	p.mu.Lock()
	p.calls = append(p.calls, Call{Op: "transfer", Target: target, ID: id})
	err := p.TransferErr[target]
	p.mu.Unlock()
	if err != nil && failed != nil {
		failed(err)
	}
	return nil
}

// Reject implements device.CallControl: recorded as "reject<code> <id>".
func (p *Phone) Reject(_ context.Context, id string, code int) error {
	p.record(fmt.Sprintf("reject%d", code), id)
	return nil
}

func (p *Phone) record(op, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, Call{Op: op, Target: id, ID: id})
}

// Calls returns every request in order, as strings (see Call.String).
func (p *Phone) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := make([]string, len(p.calls))
	for i, c := range p.calls {
		s[i] = c.String()
	}
	return s
}

// Reset forgets the recorded requests (IDs keep counting).
func (p *Phone) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = nil
}

// Sounds records the cues played and the stops, e.g. "ringback", "stop".
type Sounds struct {
	mu  sync.Mutex
	log []string
}

// Play implements device.Sounds.
func (s *Sounds) Play(c device.Cue) error { s.add(c.String()); return nil }

// Stop implements device.Sounds.
func (s *Sounds) Stop() error { s.add("stop"); return nil }

func (s *Sounds) add(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, x)
}

// Played returns the cues and stops so far, in order.
func (s *Sounds) Played() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Summary renders sets as "+2s call LED fast blink" lines relative to
// start, sorted by time, for readable test failures.
func Summary(start time.Time, sets []Set) string {
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Time.Before(sets[j].Time) })
	var b strings.Builder
	for _, s := range sets {
		fmt.Fprintf(&b, "+%v %s %s\n", s.Time.Sub(start), s.Output, s.Pattern)
	}
	return b.String()
}
