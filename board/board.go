package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
)

// ErrNoSuchPin reports a role/index that this board has not wired.
var ErrNoSuchPin = errors.New("no such pin on this board")

// ErrNoGPIO reports that this machine has no usable GPIO chip (not a
// Raspberry Pi, or not Linux): use profile "sim".
var ErrNoGPIO = errors.New("no GPIO chip")

// Option changes how Open builds a board.
type Option func(*options)

type options struct {
	clk        clockwork.Clock
	hw         *hardware // tests: fake pins for a non-sim profile
	simOffHook bool      // the sim's handset starts off hook
}

// withHardware makes Open use hw instead of the profile's real pins.
func withHardware(hw *hardware) Option { return func(o *options) { o.hw = hw } }

// WithClock sets the clock that patterns, debouncing and event times use
// (default: the real clock). On the sim board the fake pins use it too.
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clk = c } }

// hardware is where a board's pins come from: real GPIO, or fakes.
type hardware struct {
	pin func(name string) (gpio.PinIO, error)
	// input, when set, gives the pins claimed as inputs (real GPIO: lines
	// whose edge events keep the kernel's timestamps).
	input func(name string) (gpio.PinIO, error)
	// column, when set, gives a matrix keypad's columns (real GPIO: lines
	// whose Halt wakes an edge wait and whose Read is the present level).
	column func(name string) (gpio.PinIO, error)
	leds   *APA102 // nil when the profile has no APA102 chain
	close  func() error
}

// Board drives one board's pins by role. Its methods are safe for
// concurrent use.
type Board struct {
	log    *slog.Logger
	clk    clockwork.Clock
	hw     *hardware
	sim    *Sim
	events chan Event
	wake   chan chan struct{} // Set → scheduler; closed when re-armed
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	ins    []*input
	keypad io.Closer // the keypad device (nil: none)
	// matrixStop stops the matrix keypad's scanner (nil: none).
	matrixStop context.CancelFunc

	mu   sync.Mutex // guards outs' pattern state, line and due
	outs []*output
	line line
	due  time.Time // when the level being driven was due (for the sim's meter)
}

// output is one driven pin; the board keeps its level itself and never
// reads it back (gpioioctl's Read turns an output into an input).
type output struct {
	rp    rolePin
	drive func(on bool) error
	pat   Pattern
	start time.Time
	on    bool
	want  bool      // the level stepAll is bringing it to
	due   time.Time // when that level was due (a late scheduler drives it after)
}

// Open validates cfg, claims the profile's pins (simulated ones for the
// "sim" profile) with every output off, and starts the input readers and
// the output scheduler. Close releases everything.
func Open(cfg Config, log *slog.Logger, opts ...Option) (*Board, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{clk: clockwork.NewRealClock()}
	for _, f := range opts {
		f(&o)
	}
	pins, prof, errs := cfg.resolve()
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("board: open profile %q: %w", cfg.Profile, err)
	}
	b := &Board{
		log: log, clk: o.clk, hw: o.hw,
		events: make(chan Event, 64),
		wake:   make(chan chan struct{}),
		done:   make(chan struct{}),
	}
	if b.hw == nil && prof.sim {
		b.sim = newSim(b, pins, o.clk)
		b.sim.offHook = o.simOffHook
		b.hw = b.sim.hardware()
	}
	if b.hw == nil {
		hw, err := openHardware(prof)
		if err != nil {
			return nil, fmt.Errorf("board: open profile %q: %w", cfg.Profile, err)
		}
		b.hw = hw
	}
	if err := b.claim(pins); err != nil {
		b.release()
		return nil, fmt.Errorf("board: open profile %q: %w", cfg.Profile, err)
	}
	if cfg.Keypad != "" && b.sim == nil {
		if err := b.openKeypad(cfg.Keypad); err != nil {
			b.release()
			return nil, err
		}
	}
	if cfg.MatrixKeypad != nil {
		if err := b.startMatrix(*cfg.MatrixKeypad); err != nil {
			b.release()
			return nil, err
		}
	}
	b.startLevels()
	b.wg.Add(1 + len(b.ins))
	go b.schedule()
	for _, in := range b.ins {
		go b.readInput(in)
	}
	log.Info("board open", "profile", cfg.Profile, "inputs", len(b.ins), "outputs", len(b.outs))
	return b, nil
}

// claim configures every pin: inputs with pull and both edges, outputs off.
func (b *Board) claim(pins []rolePin) error {
	for _, rp := range pins {
		if rp.role.IsInput() {
			if err := b.claimInput(rp); err != nil {
				return err
			}
			continue
		}
		drive, err := b.outputDriver(rp)
		if err != nil {
			return err
		}
		if err := drive(false); err != nil {
			return fmt.Errorf("switch %s off: %w", rp, err)
		}
		b.outs = append(b.outs, &output{rp: rp, drive: drive, start: b.clk.Now()})
	}
	return nil
}

func (b *Board) claimInput(rp rolePin) error {
	pin := b.hw.pin
	if b.hw.input != nil {
		pin = b.hw.input
	}
	p, err := pin(rp.cfg.Pin)
	if err != nil {
		return fmt.Errorf("%s: %w", rp, err)
	}
	pull := map[string]gpio.Pull{"up": gpio.PullUp, "down": gpio.PullDown, "none": gpio.Float}[rp.cfg.Pull]
	d := Debounce(p, rp.cfg.Debounce, b.clk)
	if err := d.In(pull, gpio.BothEdges); err != nil {
		return fmt.Errorf("set %s as input: %w", rp, err)
	}
	in := &input{rp: rp, pin: d, active: rp.cfg.Active == "high", changed: make(chan struct{})}
	in.on = d.Read() == in.active
	b.ins = append(b.ins, in)
	return nil
}

func (b *Board) outputDriver(rp rolePin) (func(bool) error, error) {
	if n, ok := apaIndex(rp.cfg.Pin); ok {
		if b.hw.leds == nil {
			return nil, fmt.Errorf("%s: %w: no APA102 chain", rp, ErrNoSuchPin)
		}
		return b.hw.leds.driver(n, rp.cfg.Color), nil
	}
	p, err := b.hw.pin(rp.cfg.Pin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rp, err)
	}
	activeHigh := rp.cfg.Active == "high"
	return func(on bool) error { return p.Out(gpio.Level(on == activeHigh)) }, nil
}

// Events returns the channel of input events; Close closes it. It is
// buffered; events that find it full are dropped (and logged), so read it
// promptly.
func (b *Board) Events() <-chan Event { return b.events }

// Sim returns the simulated board's controls, or nil on real hardware.
func (b *Board) Sim() *Sim { return b.sim }

// Count returns how many pins of role the board has wired (e.g. call
// buttons on a multi-flat panel).
func (b *Board) Count(role Role) int {
	n := 0
	for _, in := range b.ins {
		if in.rp.role == role {
			n++
		}
	}
	for _, o := range b.outs {
		if o.rp.role == role {
			n++
		}
	}
	return n
}

// Set starts pattern p on output role/index at once (replacing the
// previous pattern) and returns an error wrapping ErrNoSuchPin or
// ErrBadPattern when it cannot. Ringer and LineReversal drive an analog
// phone's line, whatever rings it (see setLine).
func (b *Board) Set(role Role, index int, p Pattern) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("board: set %s %d: %w", role, index, err)
	}
	b.mu.Lock()
	var err error
	if role == Ringer || role == LineReversal {
		err = b.setLine(role, index, p)
	} else if o := b.output(role, index); o == nil {
		err = ErrNoSuchPin
	} else {
		b.setOut(o, p)
		b.stepAll(b.clk.Now())
	}
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("board: set %s %d: %w", role, index, err)
	}
	// Hand over to the scheduler and wait until it has re-armed its timer,
	// so the pattern's next step is timed from now (and tests with a fake
	// clock can advance it right after Set returns).
	ack := make(chan struct{})
	select {
	case b.wake <- ack:
		<-ack
	case <-b.done:
	}
	return nil
}

// setOut starts p on o now. b.mu must be held; stepAll then drives it.
func (b *Board) setOut(o *output, p Pattern) {
	o.pat, o.start = p, b.clk.Now()
	if b.sim != nil {
		b.sim.pattern(o.rp, p)
	}
}

func (b *Board) output(role Role, index int) *output {
	for _, o := range b.outs {
		if o.rp.role == role && o.rp.idx == index {
			return o
		}
	}
	return nil
}

// plan works out o's level at now into o.want and returns the time to its
// next change (0: none). A finished pulse becomes Off. b.mu must be held.
func (b *Board) plan(o *output, now time.Time) time.Duration {
	on, next := o.pat.levelAt(now.Sub(o.start))
	if o.pat.Kind == PatternPulse && next == 0 {
		o.pat = Off()
	}
	o.want, o.due = on, now
	if o.pat.Kind == PatternWave {
		_, since, _ := o.pat.waveEdge(now.Sub(o.start))
		o.due = now.Add(-since)
	}
	return next
}

// stepAll brings every output to its level at now, switching those that go
// off before those that go on (an H-bridge's two inputs are never both
// driven on), and returns the time to the next change (0: none). It
// allocates nothing. b.mu must be held.
func (b *Board) stepAll(now time.Time) time.Duration {
	var next time.Duration
	for _, o := range b.outs {
		if d := b.plan(o, now); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	for _, on := range [2]bool{false, true} {
		for _, o := range b.outs {
			if o.want != on || o.on == on {
				continue
			}
			b.due = o.due
			if err := o.drive(on); err != nil {
				b.log.Error("board: drive output", "pin", o.rp.String(), "on", on, "err", err)
				continue
			}
			o.on = on
		}
	}
	return next
}

// schedule is the one goroutine that plays every output's pattern.
func (b *Board) schedule() {
	defer b.wg.Done()
	const idle = time.Hour
	t := b.clk.NewTimer(idle)
	defer t.Stop()
	for {
		var ack chan struct{}
		select {
		case <-b.done:
			return
		case ack = <-b.wake:
		case <-t.Chan():
		}
		b.mu.Lock()
		next := b.stepAll(b.clk.Now())
		b.mu.Unlock()
		if next == 0 {
			next = idle
		}
		t.Reset(next)
		if ack != nil {
			close(ack)
		}
	}
}

// PinState is one role's current level, for status pages.
type PinState struct {
	Role    Role   `json:"role"`
	Index   int    `json:"index"`
	Pin     string `json:"pin"`
	Input   bool   `json:"input"`
	Active  bool   `json:"active"`            // pressed / open / off-hook / on
	Pattern string `json:"pattern,omitempty"` // outputs only
}

// State returns a snapshot of every wired role, inputs first.
func (b *Board) State() []PinState {
	var s []PinState
	for _, in := range b.ins {
		on, _ := in.state()
		s = append(s, PinState{Role: in.rp.role, Index: in.rp.idx, Pin: in.rp.cfg.Pin, Input: true, Active: on})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, o := range b.outs {
		s = append(s, PinState{Role: o.rp.role, Index: o.rp.idx, Pin: o.rp.cfg.Pin, Active: o.on, Pattern: o.pat.String()})
	}
	return s
}

// Close stops the readers and the scheduler, switches every output off
// and releases the pins. It is safe to call more than once.
func (b *Board) Close() error {
	var err error
	b.once.Do(func() {
		close(b.done)
		for _, in := range b.ins {
			_ = in.pin.Halt()
		}
		if b.keypad != nil {
			_ = b.keypad.Close()
		}
		if b.matrixStop != nil {
			b.matrixStop()
		}
		b.wg.Wait()
		close(b.events)
		b.mu.Lock()
		b.due = b.clk.Now()
		for _, o := range b.outs {
			o.pat = Off()
			if e := o.drive(false); e != nil && err == nil {
				err = fmt.Errorf("board: close: switch %s off: %w", o.rp, e)
			}
			o.on = false
		}
		b.mu.Unlock()
		if e := b.release(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

func (b *Board) release() error {
	if b.hw != nil && b.hw.close != nil {
		return b.hw.close()
	}
	return nil
}
