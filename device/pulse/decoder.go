package pulse

import (
	"fmt"
	"time"
)

// Decoder turns timestamped contact edges into Events. The contact is
// "closed" (make: loop closed, off-hook, dial at rest) or open (break).
// It is not safe for concurrent use: one goroutine, the phone's state
// machine, owns it.
//
// Breaks shorter than Config.BreakMin (but longer than the debounce) are
// ignored. A break between BreakMax and FlashMin, or pulses cut short by a
// flash, give an Invalid event. Pulses cut short by a hang-up are dropped.
// A break from FlashMin up to (not including) FlashMax is a Flash; a break
// of FlashMax or longer is OnHook, reported as soon as it has lasted that
// long (Poll), and the next make is OffHook.
type Decoder struct {
	cfg    Config
	closed bool      // debounced contact state
	since  time.Time // start of the debounced state
	onHook bool      // a hang-up was reported and no make since
	pulses int       // pulses of the digit in progress
	last   time.Time // the make that ended the last pulse
	now    time.Time // latest time fed in (times never go back)

	raw       bool      // the contact as last reported
	rawAt     time.Time // time of the last raw edge
	pending   bool      // raw left the debounced state (maybe bounce)
	pendStart time.Time // first raw edge of that change
}

// New returns a decoder whose contact is closed (off-hook) or open
// (on-hook) at time at. cfg's zero fields take the defaults.
func New(cfg Config, at time.Time, closed bool) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pulse: config: %w", err)
	}
	return &Decoder{cfg: cfg.WithDefaults(), closed: closed, since: at, onHook: !closed,
		now: at, raw: closed, rawAt: at}, nil
}

// OffHook reports whether the debounced line is off-hook: closed, or
// open for less than FlashMax (a pulse or a flash).
func (d *Decoder) OffHook() bool { return !d.onHook }

// Edge records that the contact became closed (true) or open (false) at
// time at, and appends to dst the events decided by then. A time earlier
// than one already fed in counts as that time; an edge to the state the
// contact already has is ignored.
func (d *Decoder) Edge(dst []Event, at time.Time, closed bool) []Event {
	at = d.clamp(at)
	dst = d.advance(dst, at)
	if closed == d.raw {
		return dst
	}
	if !d.pending {
		d.pending, d.pendStart = true, at
	}
	d.raw, d.rawAt = closed, at
	return dst
}

// Poll appends to dst the events decided by time now (a digit after its
// gap, a hang-up after FlashMax, a contact change after its debounce).
func (d *Decoder) Poll(dst []Event, now time.Time) []Event {
	return d.advance(dst, d.clamp(now))
}

// Deadline returns the next time at which Poll may decide something
// without a further edge, and false when nothing is waiting for time.
func (d *Decoder) Deadline() (time.Time, bool) {
	switch {
	case d.pending:
		return d.rawAt.Add(d.cfg.Debounce), true
	case d.closed && d.pulses > 0:
		return d.last.Add(d.cfg.DigitGap), true
	case !d.closed && !d.onHook:
		return d.since.Add(d.cfg.FlashMax), true
	}
	return time.Time{}, false
}

func (d *Decoder) clamp(t time.Time) time.Time {
	if t.Before(d.now) {
		return d.now
	}
	d.now = t
	return t
}

// advance settles a pending change whose debounce has run out and runs
// the timeouts up to now; while a change is pending, the timeouts run only
// up to its start, as the contact may have changed then.
func (d *Decoder) advance(dst []Event, now time.Time) []Event {
	limit := now
	if d.pending {
		if now.Sub(d.rawAt) >= d.cfg.Debounce {
			d.pending = false
			if d.raw != d.closed {
				dst = d.timeouts(dst, d.pendStart)
				dst = d.change(dst, d.pendStart, d.raw)
			}
		} else {
			limit = d.pendStart
		}
	}
	return d.timeouts(dst, limit)
}

// timeouts reports what the debounced state decides by time t.
func (d *Decoder) timeouts(dst []Event, t time.Time) []Event {
	if d.closed && d.pulses > 0 && t.Sub(d.last) >= d.cfg.DigitGap {
		dst = d.digit(dst)
	}
	if !d.closed && !d.onHook && t.Sub(d.since) >= d.cfg.FlashMax {
		d.onHook, d.pulses = true, 0
		dst = append(dst, Event{Kind: OnHook, At: d.since})
	}
	return dst
}

func (d *Decoder) digit(dst []Event) []Event {
	n := d.pulses
	d.pulses = 0
	if c, ok := d.cfg.Mapping.Digit(n); ok {
		return append(dst, Event{Kind: Digit, Digit: c, Pulses: n, At: d.last})
	}
	return append(dst, Event{Kind: Invalid, Pulses: n, At: d.last})
}

// change applies a debounced contact change at time at.
func (d *Decoder) change(dst []Event, at time.Time, closed bool) []Event {
	brk := at.Sub(d.since)
	d.closed, d.since = closed, at
	if !closed {
		return dst
	}
	if d.onHook {
		d.onHook, d.pulses = false, 0
		return append(dst, Event{Kind: OffHook, At: at})
	}
	c := d.cfg
	switch {
	case brk < c.BreakMin:
		// a dirty contact, neither bounce nor pulse
	case brk <= c.BreakMax:
		d.pulses++
		d.last = at
		if d.pulses > 20 { // no dial sends this many: report and start over
			dst = d.digit(dst)
		}
	case brk < c.FlashMin:
		dst = append(dst, Event{Kind: Invalid, Pulses: d.pulses, At: at.Add(-brk), Break: brk})
		d.pulses = 0
	default: // < FlashMax, or timeouts would have reported OnHook
		if d.pulses > 0 {
			dst = append(dst, Event{Kind: Invalid, Pulses: d.pulses, At: d.last})
			d.pulses = 0
		}
		dst = append(dst, Event{Kind: Flash, At: at.Add(-brk), Break: brk})
	}
	return dst
}
