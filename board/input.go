package board

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
)

// Debounced decorates an input pin with a software debouncer, because the
// kernel's GPIO character device offers no debounce to periph and
// gpioutil.Debounce ignores its debounce argument. WaitForEdge reports only
// level changes that stay stable for the settle time; Read returns the
// last stable level without touching the pin.
//
// Time flows through the wrapped pin's WaitForEdge timeouts, so the clock
// given must be the one the pin uses (real pins: the real clock).
type Debounced struct {
	gpio.PinIO
	settle time.Duration
	clk    clockwork.Clock
	halted atomic.Bool
	level  atomic.Bool

	// Only the goroutine calling WaitForEdge touches these.
	at        time.Time // when the last reported change began
	pending   bool      // an edge of the next change was read already
	pendAt    time.Time
	pendLevel bool
}

// Debounce wraps p; settle must be positive.
func Debounce(p gpio.PinIO, settle time.Duration, clk clockwork.Clock) *Debounced {
	return &Debounced{PinIO: p, settle: settle, clk: clk}
}

// In configures the pin as an input with edge detection and samples its
// current level as the stable level.
func (d *Debounced) In(pull gpio.Pull, edge gpio.Edge) error {
	if err := d.PinIO.In(pull, edge); err != nil {
		return err
	}
	d.level.Store(bool(d.PinIO.Read()))
	return nil
}

// EdgeTime returns when the change WaitForEdge last reported began: the
// time of its first edge, before any bounce and the settle time, so that
// pulse timing is measured between real edges. Only the goroutine that
// calls WaitForEdge may call it.
func (d *Debounced) EdgeTime() time.Time { return d.at }

// Read returns the last stable level.
func (d *Debounced) Read() gpio.Level { return gpio.Level(d.level.Load()) }

// Halt makes pending and future WaitForEdge calls return false, and halts
// the wrapped pin.
func (d *Debounced) Halt() error {
	d.halted.Store(true)
	return d.PinIO.Halt()
}

// timestamped is a pin that knows when the edge its last WaitForEdge
// reported happened, as the kernel's GPIO line events do (periph's
// gpioioctl drops those timestamps; the sim board's pins keep them).
type timestamped interface {
	EdgeAt() time.Time
}

// edgeAt returns when the edge just received happened: the pin's own
// timestamp, or else now.
func (d *Debounced) edgeAt() time.Time {
	if ts, ok := d.PinIO.(timestamped); ok {
		return ts.EdgeAt()
	}
	return d.clk.Now()
}

// WaitForEdge waits up to timeout (which must be positive: the drivers
// disagree on what 0 and -1 mean) for a debounced level change. Bounces
// that end at the previous stable level are ignored. Edges less than the
// settle time apart are one change; an edge that comes later than that
// after the last one (edges queued while the reader was slow, with
// timestamps) starts the next change, kept for the next call, so a busy
// reader does not merge two pulses into one.
func (d *Debounced) WaitForEdge(timeout time.Duration) bool {
	if timeout <= 0 {
		return false
	}
	deadline := d.clk.Now().Add(timeout)
	for !d.halted.Load() {
		var first time.Time
		var lvl bool
		if d.pending {
			first, lvl, d.pending = d.pendAt, d.pendLevel, false
		} else {
			rem := d.clk.Until(deadline)
			if rem <= 0 || !d.PinIO.WaitForEdge(rem) {
				return false
			}
			first, lvl = d.edgeAt(), bool(d.PinIO.Read())
		}
		latest := first
		for !d.halted.Load() { // drain the bounce
			wait := d.settle - d.clk.Since(latest)
			if wait <= 0 || !d.PinIO.WaitForEdge(wait) {
				break
			}
			at, l := d.edgeAt(), bool(d.PinIO.Read())
			if at.Sub(latest) >= d.settle {
				d.pending, d.pendAt, d.pendLevel = true, at, l
				break
			}
			latest, lvl = at, l
		}
		if d.halted.Load() {
			return false
		}
		if lvl != d.level.Load() {
			d.level.Store(lvl)
			d.at = first
			return true
		}
	}
	return false
}

// EventKind says what happened on an input.
type EventKind int

// The event kinds: buttons press, release and long-press; the door contact
// opens (DoorOpened) and closes (DoorClosed); the hook switch goes off-hook
// and on-hook (never a long press: a hook flash is timed by whoever reads
// the events); a rotary dial's pulse contact breaks (opens) and makes
// (closes again) once per pulse, and its off-normal contact reports the
// dial turned away from rest (DialOffNormal) and back (DialAtRest).
const (
	Press EventKind = iota + 1
	Release
	LongPress
	DoorOpened
	DoorClosed
	OffHook
	OnHook
	DialBreak
	DialMake
	DialOffNormal
	DialAtRest
	// KeyPressed is a key of the keypad (Event.Key).
	KeyPressed
)

// String names the kind, e.g. "long-press".
func (k EventKind) String() string {
	switch k {
	case Press:
		return "press"
	case Release:
		return "release"
	case LongPress:
		return "long-press"
	case DoorOpened:
		return "open"
	case DoorClosed:
		return "closed"
	case OffHook:
		return "off-hook"
	case OnHook:
		return "on-hook"
	case DialBreak:
		return "dial-break"
	case DialMake:
		return "dial-make"
	case DialOffNormal:
		return "dial-off-normal"
	case DialAtRest:
		return "dial-at-rest"
	case KeyPressed:
		return "key"
	}
	return "unknown"
}

// Event is one debounced input change.
type Event struct {
	Role  Role
	Index int // which call button (0-based); 0 for single roles
	Kind  EventKind
	// Time is when the change began: its first edge, not the end of the
	// debounce (a long press: when it became long).
	Time time.Time
	// Key is the key of a KeyPressed event: '0'-'9', '*' or '#'.
	Key byte
}

func kindFor(r Role, active bool) EventKind {
	switch {
	case r == PulseContact && active:
		return DialBreak
	case r == PulseContact:
		return DialMake
	case r == OffNormalContact && active:
		return DialOffNormal
	case r == OffNormalContact:
		return DialAtRest
	case r == DoorContact && active:
		return DoorOpened
	case r == DoorContact:
		return DoorClosed
	case r == HookSwitch && active:
		return OffHook
	case r == HookSwitch:
		return OnHook
	case active:
		return Press
	}
	return Release
}

// input is one wired input and its debounced, active-level state.
type input struct {
	rp     rolePin
	pin    *Debounced
	active gpio.Level // the level that means pressed/open/off-hook

	mu      sync.Mutex
	on      bool
	changed chan struct{} // closed and replaced on every change
}

func (in *input) set(on bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.on = on
	close(in.changed)
	in.changed = make(chan struct{})
}

func (in *input) state() (bool, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.on, in.changed
}

// waitState blocks until the input's debounced state is on, or ctx ends.
func (in *input) waitState(ctx context.Context, on bool) error {
	for {
		cur, ch := in.state()
		if cur == on {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pollInterval bounds every WaitForEdge on a pin whose Halt does not wake
// a waiting reader, so a halted reader notices.
const pollInterval = time.Second

// idleWait bounds WaitForEdge on a pin whose Halt wakes a waiting reader
// (the GPIO line's read deadline, the sim pin's edge): an idle input then
// costs no wake-ups, where polling cost one per input each second.
const idleWait = time.Hour

// haltWaker is a pin whose Halt wakes a pending WaitForEdge.
type haltWaker interface{ wakesOnHalt() }

// idleTimeout is how long the reader of d may wait for an edge when no
// long press is due.
func (d *Debounced) idleTimeout() time.Duration {
	if _, ok := d.PinIO.(haltWaker); ok {
		return idleWait
	}
	return pollInterval
}

// readInput turns one input's debounced edges into events until halted.
// A long press is reported once, timed at press + long_press (from the
// press's first edge), even when
// the release is seen first (a busy machine, or a press just long enough).
func (b *Board) readInput(in *input) {
	defer b.wg.Done()
	lp := in.rp.cfg.LongPress
	var pressedAt time.Time
	longDue := false
	long := func() {
		longDue = false
		b.emit(Event{Role: in.rp.role, Index: in.rp.idx, Kind: LongPress, Time: pressedAt.Add(lp)})
	}
	idle := in.pin.idleTimeout()
	for !in.pin.halted.Load() {
		timeout := idle
		if longDue {
			rem := lp - b.clk.Since(pressedAt)
			if rem <= 0 {
				long()
				continue
			}
			timeout = min(rem, timeout)
		}
		if !in.pin.WaitForEdge(timeout) {
			continue
		}
		on := in.pin.Read() == in.active
		now := b.clk.Now()
		if longDue && now.Sub(pressedAt) >= lp {
			long()
		}
		in.set(on)
		longDue = on && in.rp.role == CallButton && lp > 0
		if longDue {
			pressedAt = in.pin.EdgeTime()
		}
		b.emit(Event{Role: in.rp.role, Index: in.rp.idx, Kind: kindFor(in.rp.role, on), Time: in.pin.EdgeTime()})
	}
}

// startLevels reports an input found active when the board opens where
// that is news to whoever reads the events: a handset already off hook
// (its OffHook, timed now) — the phone starts off hook, not waiting for
// an edge that will not come; a do-not-disturb switch already on (its
// Press). Called before the readers start.
func (b *Board) startLevels() {
	for _, in := range b.ins {
		switch {
		case in.rp.role == HookSwitch && in.on:
			b.log.Info("the handset is off hook at start", "pin", in.rp.cfg.Pin)
			b.emit(Event{Role: in.rp.role, Index: in.rp.idx, Kind: OffHook, Time: b.clk.Now()})
		case in.rp.role == DNDSwitch && in.on:
			b.log.Info("the do-not-disturb switch is on at start", "pin", in.rp.cfg.Pin)
			b.emit(Event{Role: in.rp.role, Index: in.rp.idx, Kind: Press, Time: b.clk.Now()})
		}
	}
}

// emit queues an event; when nobody reads, it is dropped and logged
// rather than blocking the input.
func (b *Board) emit(e Event) {
	b.log.Debug("board input", "role", string(e.Role), "index", e.Index, "event", e.Kind.String())
	select {
	case b.events <- e:
	default:
		b.log.Warn("board event dropped: nobody reads events", "role", e.Role, "index", e.Index, "kind", e.Kind)
	}
}
