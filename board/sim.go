package board

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// Sim operates the simulated board: it presses its buttons and flips its
// door contact and hook switch by feeding edges into the periph gpiotest
// pins the board reads (so the board's logic is exactly the real one), and
// reports what its LEDs, relays and ringer do as lines of text: a steady
// or pulsed output by each change ("door relay on", "door relay off"), a
// blinking one by its pattern ("call LED fast blink"), not by each toggle.
type Sim struct {
	b    *Board
	pins map[string]*simPin

	mu   sync.Mutex
	subs map[chan string]bool // true: every level change (tests)
	outs map[string]*simOut   // by pin name
	ring ringMeter
	term PulseTiming // the terminal's pulse timing (pps, break)

	offHook bool // the handset starts off hook (set before the pins are claimed)

	matrix *simMatrix // the matrix keypad (nil: none; set before it starts)
}

// simOut is what the watchers were last told about one output.
type simOut struct {
	periodic bool   // a blink or ring pattern plays: its toggles go unreported
	last     string // the last line reported
}

// simPin is a gpiotest pin that reports output changes to the Sim and
// whose Halt wakes a pending WaitForEdge (gpiotest's Halt does nothing).
type simPin struct {
	*gpiotest.Pin
	sim   *Sim
	rp    rolePin
	edges chan simEdge
	at    time.Time // the last edge WaitForEdge took (its reader only)
}

// simEdge is one input change the sim makes, with the time it happens
// (as the kernel stamps GPIO line events).
type simEdge struct {
	l  gpio.Level
	at time.Time
}

func newSim(b *Board, pins []rolePin, clk clockwork.Clock) *Sim {
	s := &Sim{b: b, pins: map[string]*simPin{}, subs: map[chan string]bool{}, outs: map[string]*simOut{}}
	for _, rp := range pins {
		s.pins[rp.cfg.Pin] = &simPin{
			Pin:   &gpiotest.Pin{N: rp.cfg.Pin, Num: -1, Clock: clk, EdgesChan: make(chan gpio.Level)},
			sim:   s,
			rp:    rp,
			edges: make(chan simEdge, 16),
		}
	}
	return s
}

func (s *Sim) hardware() *hardware {
	return &hardware{pin: func(name string) (gpio.PinIO, error) {
		p, ok := s.pins[name]
		if !ok {
			return nil, fmt.Errorf("sim pin %s: %w", name, ErrNoSuchPin)
		}
		return p, nil
	}}
}

// Out sets the level and, when it changed, tells the Sim's watchers.
func (p *simPin) Out(l gpio.Level) error {
	p.Lock()
	changed := p.L != l
	p.L = l
	p.Unlock()
	if changed && !p.rp.role.IsInput() {
		word := "off"
		if (l == gpio.High) == (p.rp.cfg.Active == "high") {
			word = "on"
		}
		p.sim.level(p.rp, p.rp.label()+" "+word, word == "on")
	}
	return nil
}

// In configures the pin as gpiotest does, then puts it at its inactive
// level: the simulated door starts closed, the handset on hook (off hook
// with WithSimOffHook).
func (p *simPin) In(pull gpio.Pull, edge gpio.Edge) error {
	if err := p.Pin.In(pull, edge); err != nil {
		return err
	}
	active := p.rp.role == HookSwitch && p.sim.offHook
	p.Lock()
	p.L = gpio.Level((p.rp.cfg.Active == "high") == active)
	p.Unlock()
	return nil
}

// wakesOnHalt: Halt sends an edge, waking WaitForEdge.
func (p *simPin) wakesOnHalt() {}

// Halt wakes a reader blocked in WaitForEdge with an edge at the current
// level, which the debouncer ignores.
func (p *simPin) Halt() error {
	select {
	case p.edges <- simEdge{p.Read(), p.sim.b.clk.Now()}:
	default:
	}
	return nil
}

// WaitForEdge waits up to timeout for an edge the sim made and takes its
// level and time.
func (p *simPin) WaitForEdge(timeout time.Duration) bool {
	t := p.sim.b.clk.NewTimer(timeout)
	defer t.Stop()
	select {
	case e := <-p.edges:
		p.Lock()
		p.L = e.l
		p.Unlock()
		p.at = e.at
		return true
	case <-t.Chan():
		return false
	}
}

// EdgeAt returns when the edge WaitForEdge last took happened.
func (p *simPin) EdgeAt() time.Time { return p.at }

// push makes an edge to level l at time at.
func (p *simPin) push(ctx context.Context, l gpio.Level, at time.Time) error {
	select {
	case p.edges <- simEdge{l, at}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// label names a pin's role for people: "call button 2", "door relay".
func (rp rolePin) label() string {
	if rp.role == CallButton || (rp.role == DoorRelay && rp.idx > 0) {
		return fmt.Sprintf("%s %d", rp.role.Label(), rp.idx+1)
	}
	return rp.role.Label()
}

// level reports an output's level change: to every watcher when the
// output is steady or pulsed (and the line is news), to level watchers
// always.
func (s *Sim) level(rp rolePin, line string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring.level(s, rp, on)
	o := s.out(rp)
	news := !o.periodic && o.last != line
	if news {
		o.last = line
	}
	s.send(line, true, news)
}

// pattern reports that pattern p starts on an output: a periodic one by
// name, a steady or pulsed one as the level it starts at (when that is
// news: setting the same steady pattern again says nothing).
func (s *Sim) pattern(rp rolePin, p Pattern) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring.pattern(s, rp, p)
	o := s.out(rp)
	o.periodic = p.periodic()
	word := p.String()
	if !o.periodic {
		word = "off"
		if on, _ := p.levelAt(0); on {
			word = "on"
		}
	}
	line := rp.label() + " " + word
	if line == o.last {
		return
	}
	o.last = line
	s.send(line, false, true)
}

func (s *Sim) out(rp rolePin) *simOut {
	o := s.outs[rp.cfg.Pin]
	if o == nil {
		o = &simOut{}
		s.outs[rp.cfg.Pin] = o
	}
	return o
}

// send gives line to the level watchers when toLevels and to the others
// when toPeople. s.mu must be held.
func (s *Sim) send(line string, toLevels, toPeople bool) {
	for ch, levels := range s.subs {
		if levels && !toLevels || !levels && !toPeople {
			continue
		}
		select {
		case ch <- line:
		default: // a stalled watcher loses lines rather than stalling outputs
		}
	}
}

// Watch returns a channel of output lines as a person watching the board
// wants them ("status LED on", "call LED fast blink", "door relay on",
// "door relay off": a blinking output by its pattern, not each toggle)
// and a function that stops the watch.
func (s *Sim) Watch() (<-chan string, func()) { return s.watch(false) }

// watchLevels is Watch with every level change, blinks included.
func (s *Sim) watchLevels() (<-chan string, func()) { return s.watch(true) }

func (s *Sim) watch(levels bool) (<-chan string, func()) {
	ch := make(chan string, 256)
	s.mu.Lock()
	s.subs[ch] = levels
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

func (s *Sim) input(role Role, idx int) (*input, *simPin, error) {
	for _, in := range s.b.ins {
		if in.rp.role == role && in.rp.idx == idx {
			return in, s.pins[in.rp.cfg.Pin], nil
		}
	}
	if role == CallButton {
		return nil, nil, fmt.Errorf("sim: no call button %d (this board has %d): %w", idx+1, s.b.Count(CallButton), ErrNoSuchPin)
	}
	return nil, nil, fmt.Errorf("sim: no %s: %w", role.Label(), ErrNoSuchPin)
}

// SetInput drives input role/idx to active (pressed, open, off-hook) or
// inactive, and waits until the board has debounced the change.
func (s *Sim) SetInput(ctx context.Context, role Role, idx int, active bool) error {
	in, p, err := s.input(role, idx)
	if err != nil {
		return err
	}
	l := in.active
	if !active {
		l = !l
	}
	if err := p.push(ctx, l, s.b.clk.Now()); err != nil {
		return fmt.Errorf("sim: set %s: %w", in.rp.label(), err)
	}
	if err := in.waitState(ctx, active); err != nil {
		return fmt.Errorf("sim: set %s: %w", in.rp.label(), err)
	}
	return nil
}

// Press presses and releases call button idx (0-based).
func (s *Sim) Press(ctx context.Context, idx int) error {
	if err := s.SetInput(ctx, CallButton, idx, true); err != nil {
		return err
	}
	return s.SetInput(ctx, CallButton, idx, false)
}

// LongPress holds call button idx for its long-press time, then releases
// it: the board reports press, long-press, release.
func (s *Sim) LongPress(ctx context.Context, idx int) error {
	in, _, err := s.input(CallButton, idx)
	if err != nil {
		return err
	}
	if err := s.SetInput(ctx, CallButton, idx, true); err != nil {
		return err
	}
	select {
	case <-s.b.clk.After(in.rp.cfg.LongPress):
	case <-ctx.Done():
		return fmt.Errorf("sim: hold %s: %w", in.rp.label(), ctx.Err())
	}
	return s.SetInput(ctx, CallButton, idx, false)
}

// Toggle flips a single input (DoorContact, HookSwitch) and returns its
// new state (true: open / off-hook).
func (s *Sim) Toggle(ctx context.Context, role Role) (bool, error) {
	in, _, err := s.input(role, 0)
	if err != nil {
		return false, err
	}
	on, _ := in.state()
	return !on, s.SetInput(ctx, role, 0, !on)
}
