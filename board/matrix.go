package board

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// This file is the door's keypad wired to the GPIO header: a 3×4 matrix
// keypad (four row wires, three column wires, a key joining its row to
// its column), scanned by software.

// MatrixKeypad is a 3×4 matrix keypad wired to the header.
type MatrixKeypad struct {
	// Rows are the four row wires, top row first ("GPIO5"): the board
	// drives the selected row low and leaves the others as pulled-up
	// inputs, so that keys held together never short two outputs.
	Rows []string `yaml:"rows"`
	// Cols are the three column wires, left column first: inputs with
	// the pull-up on, low while a key of a selected row is down.
	Cols []string `yaml:"cols"`
	// Keys are the twelve keys row by row, left to right (default
	// "123456789*0#", the telephone layout); each is 0-9, * or #.
	Keys string `yaml:"keys"`
	// Debounce is how long a key must stay down (or up) before it counts
	// (20ms when unset; at most 1s).
	Debounce time.Duration `yaml:"debounce"`
	// Scan is how long each row is driven, while a key is down, before its
	// columns are read (5ms when unset; 1ms..100ms): longer for long
	// cables whose wires take time to settle. A pass over the rows takes
	// four of these.
	Scan time.Duration `yaml:"scan"`
}

// The matrix keypad's shape and defaults.
const (
	matrixRows     = 4
	matrixCols     = 3
	matrixKeys     = "123456789*0#"
	matrixDebounce = 20 * time.Millisecond
	// matrixScan is how long each row is driven, while a key is down,
	// before its columns are read, when MatrixKeypad.Scan is unset.
	matrixScan = 5 * time.Millisecond
)

// keys returns the keypad's layout, the default when none is set.
func (m *MatrixKeypad) keys() string {
	if m.Keys == "" {
		return matrixKeys
	}
	return m.Keys
}

// debounce returns the debounce time, the default when none is set.
func (m *MatrixKeypad) debounce() time.Duration {
	if m.Debounce == 0 {
		return matrixDebounce
	}
	return m.Debounce
}

// scan returns the time each row is driven, the default when none is set.
func (m *MatrixKeypad) scan() time.Duration {
	if m.Scan == 0 {
		return matrixScan
	}
	return m.Scan
}

// validate checks the keypad's shape, keys and pins; used holds the pins
// other roles have taken (pin → config path) and gets the keypad's.
func (m *MatrixKeypad) validate(errs *cfgerr.List, used map[string]string) {
	const path = "matrix_keypad"
	if len(m.Rows) != matrixRows {
		errs.Add(path+".rows", "must be %d pins, not %d", matrixRows, len(m.Rows))
	}
	if len(m.Cols) != matrixCols {
		errs.Add(path+".cols", "must be %d pins, not %d", matrixCols, len(m.Cols))
	}
	if k := m.keys(); len(k) != matrixRows*matrixCols || strings.Trim(k, "0123456789*#") != "" {
		errs.Add(path+".keys", "must be %d keys of 0-9, * and #, not %q", matrixRows*matrixCols, k)
	}
	if d := m.debounce(); d < time.Millisecond || d > time.Second {
		errs.Add(path+".debounce", "must be between 1ms and 1s, not %v", d)
	}
	if d := m.scan(); d < time.Millisecond || d > 100*time.Millisecond {
		errs.Add(path+".scan", "must be between 1ms and 100ms, not %v", d)
	}
	for _, l := range []struct {
		name string
		pins []string
	}{{"rows", m.Rows}, {"cols", m.Cols}} {
		for i, pin := range l.pins {
			p := cfgerr.Index(path+"."+l.name, i)
			if !gpioName.MatchString(pin) {
				errs.Add(p, "unknown pin %q (want GPIO0..GPIO27)", pin)
				continue
			}
			if prev, dup := used[pin]; dup {
				errs.Add(p, "%s is already used by %s", pin, prev)
			}
			used[pin] = p
		}
	}
}

// matrixRow is a row wire: driven low, or an input (released).
type matrixRow interface {
	Out(l gpio.Level) error
	In(pull gpio.Pull, edge gpio.Edge) error
}

// matrixCol is a column wire: read, with edges (gpio.PinIO has all this).
type matrixCol interface {
	In(pull gpio.Pull, edge gpio.Edge) error
	Read() gpio.Level
	WaitForEdge(timeout time.Duration) bool
	Halt() error
}

// errMatrixPins reports a keypad given the wrong number of wires.
var errMatrixPins = errors.New("a matrix keypad needs 4 rows and 3 columns")

// matrixScanner turns a matrix keypad's wires into key presses. While no
// key is down every row is low and it waits for a column's falling edge
// (no polling, no wake-up); then it scans row by row, a row every
// tick, until all keys are released, and calls key once for each
// key that stayed down for the debounce time.
type matrixScanner struct {
	rows     []matrixRow
	cols     []matrixCol
	keys     string
	debounce time.Duration
	tick     time.Duration // each row's time (matrixScan when zero)
	clk      clockwork.Clock
	key      func(byte)
	idle     func() // called each time it goes back to waiting (nil: none)
}

// keyState is one key's debouncer while scanning.
type keyState struct {
	down    bool      // the debounced state
	changed time.Time // when the raw state last differed from down (zero: it agrees)
}

// run scans until ctx ends; it halts the columns then.
func (s *matrixScanner) run(ctx context.Context) error {
	if len(s.rows) != matrixRows || len(s.cols) != matrixCols {
		return fmt.Errorf("matrix keypad scan: %w", errMatrixPins)
	}
	for i, c := range s.cols {
		if err := c.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return fmt.Errorf("matrix keypad scan: column %d: %w", i+1, err)
		}
	}
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, c := range s.cols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.watch(ctx, c, wake)
		}()
	}
	defer func() {
		for _, c := range s.cols {
			_ = c.Halt()
		}
	}()
	for {
		if err := s.selectRow(-1); err != nil {
			return err
		}
		select { // edges made by the last scan say nothing
		case <-wake:
		default:
		}
		if !s.anyLow() {
			if s.idle != nil {
				s.idle()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-wake:
			}
		}
		if err := s.scan(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// watch signals wake at each edge of c until ctx ends.
func (s *matrixScanner) watch(ctx context.Context, c matrixCol, wake chan<- struct{}) {
	timeout := pollInterval
	if _, ok := c.(haltWaker); ok {
		timeout = idleWait
	}
	for ctx.Err() == nil {
		if c.WaitForEdge(timeout) {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
}

// anyLow reports whether a column is low (a key of a low row is down).
func (s *matrixScanner) anyLow() bool {
	for _, c := range s.cols {
		if c.Read() == gpio.Low {
			return true
		}
	}
	return false
}

// selectRow drives row r low and releases the others (inputs, pulled
// up, never driven high: two keys of one column down would short a high
// row to the low one); -1 drives all low.
func (s *matrixScanner) selectRow(r int) error {
	for i, row := range s.rows {
		var err error
		if r < 0 || i == r {
			err = row.Out(gpio.Low)
		} else {
			err = row.In(gpio.PullUp, gpio.NoEdge)
		}
		if err != nil {
			return fmt.Errorf("matrix keypad scan: row %d: %w", i+1, err)
		}
	}
	return nil
}

// scan drives one row at a time, each for a tick (s.tick) before its
// columns are read (the wires settle, and a slow model of them catches
// up), until a whole pass finds every key up and debounced; it reports
// each debounced press.
func (s *matrixScanner) scan(ctx context.Context) error {
	var st [matrixRows * matrixCols]keyState
	busy := false // in this pass
	for r := 0; ; r = (r + 1) % matrixRows {
		if err := s.selectRow(r); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clk.After(cmp.Or(s.tick, matrixScan)):
		}
		now := s.clk.Now()
		for c, col := range s.cols {
			k := &st[r*matrixCols+c]
			if s.settle(k, col.Read() == gpio.Low, now) {
				s.key(s.keys[r*matrixCols+c])
			}
			busy = busy || k.down || !k.changed.IsZero()
		}
		if r == matrixRows-1 {
			if !busy {
				return nil
			}
			busy = false
		}
	}
}

// settle feeds one raw reading to k's debouncer and reports a new press.
func (s *matrixScanner) settle(k *keyState, raw bool, now time.Time) bool {
	switch {
	case raw == k.down:
		k.changed = time.Time{}
	case k.changed.IsZero():
		k.changed = now
	case now.Sub(k.changed) >= s.debounce:
		k.down, k.changed = raw, time.Time{}
		return raw
	}
	return false
}

// startMatrix starts scanning the configured matrix keypad: its wires on
// the sim board are a model its Keys presses, elsewhere header pins.
func (b *Board) startMatrix(cfg MatrixKeypad) error {
	var s *matrixScanner
	emit := func(k byte) { b.emit(Event{Role: Keypad, Kind: KeyPressed, Key: k, Time: b.clk.Now()}) }
	if b.sim != nil {
		sm := &simMatrix{m: newMatrixModel(cfg.keys(), b.clk), heard: make(chan byte, 16)}
		b.sim.matrix = sm
		s = sm.m.scanner(cfg.debounce(), func(k byte) { emit(k); sm.notify(k) }, func() { sm.notify(0) })
	} else {
		s = &matrixScanner{keys: cfg.keys(), debounce: cfg.debounce(), tick: cfg.scan(), clk: b.clk, key: emit}
		for _, name := range cfg.Rows {
			p, err := b.hw.pin(name)
			if err != nil {
				return fmt.Errorf("board: matrix keypad row %s: %w", name, err)
			}
			s.rows = append(s.rows, p)
		}
		// Live lines on real GPIO: a scan reads the columns' present
		// levels, not the levels their last edges left, and their Halt
		// wakes the edge waits, so an idle keypad never wakes.
		col := b.hw.pin
		if b.hw.column != nil {
			col = b.hw.column
		}
		for _, name := range cfg.Cols {
			p, err := col(name)
			if err != nil {
				return fmt.Errorf("board: matrix keypad column %s: %w", name, err)
			}
			s.cols = append(s.cols, p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.matrixStop = cancel
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := s.run(ctx); err != nil {
			b.log.Warn("matrix keypad stopped", "err", err)
		}
	}()
	b.log.Info("matrix keypad scanning", "rows", strings.Join(cfg.Rows, ","), "cols", strings.Join(cfg.Cols, ","))
	return nil
}
