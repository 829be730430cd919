package board

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
)

// This file is a model of a matrix keypad's wires: the sim board's
// matrix keypad, scanned by the real scanner, and the tests' fake pins.

// matrixModel is a 3×4 matrix keypad with pull-ups on its columns: a
// column reads low while a key down joins it to a row driven low.
type matrixModel struct {
	keys string
	clk  clockwork.Clock
	rows []*modelRow
	cols []*modelCol

	mu    sync.Mutex
	down  [matrixRows * matrixCols]bool
	level [matrixRows]gpio.Level
	outs  int // row changes, for tests
	high  int // rows driven high (a short through two keys of a column)
}

// modelRow is a row wire of a matrixModel.
type modelRow struct {
	m *matrixModel
	r int
}

// modelCol is a column wire of a matrixModel.
type modelCol struct {
	m     *matrixModel
	c     int
	low   bool          // the level last seen (m.mu)
	edges chan struct{} // falling edges, and Halt
}

func newMatrixModel(keys string, clk clockwork.Clock) *matrixModel {
	m := &matrixModel{keys: keys, clk: clk}
	for r := range matrixRows {
		m.rows = append(m.rows, &modelRow{m: m, r: r})
		m.level[r] = gpio.High
	}
	for c := range matrixCols {
		m.cols = append(m.cols, &modelCol{m: m, c: c, edges: make(chan struct{}, 1)})
	}
	return m
}

// scanner returns a scanner of the model's wires.
func (m *matrixModel) scanner(debounce time.Duration, key func(byte), idle func()) *matrixScanner {
	s := &matrixScanner{keys: m.keys, debounce: debounce, clk: m.clk, key: key, idle: idle}
	for _, r := range m.rows {
		s.rows = append(s.rows, r)
	}
	for _, c := range m.cols {
		s.cols = append(s.cols, c)
	}
	return s
}

// set puts key k down or up.
func (m *matrixModel) set(k byte, down bool) error {
	i := strings.IndexByte(m.keys, k)
	if i < 0 {
		return fmt.Errorf("sim: matrix key %q: %w (%s)", k, ErrNoSuchKey, m.keys)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.down[i] = down
	m.update()
	return nil
}

// low reports column c's level from the keys and rows. m.mu is held.
func (m *matrixModel) low(c int) bool {
	for r := range matrixRows {
		if m.down[r*matrixCols+c] && m.level[r] == gpio.Low {
			return true
		}
	}
	return false
}

// update signals a falling edge on each column that went low. m.mu is held.
func (m *matrixModel) update() {
	for _, col := range m.cols {
		low := m.low(col.c)
		if low && !col.low {
			select {
			case col.edges <- struct{}{}:
			default:
			}
		}
		col.low = low
	}
}

// Out drives the row.
func (r *modelRow) Out(l gpio.Level) error {
	if l == gpio.High {
		r.m.mu.Lock()
		r.m.high++
		r.m.mu.Unlock()
	}
	return r.set(l)
}

// set puts the row at level l.
func (r *modelRow) set(l gpio.Level) error {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.level[r.r] != l {
		m.outs++
	}
	m.level[r.r] = l
	m.update()
	return nil
}

// In releases the row: its pull-up holds it high.
func (r *modelRow) In(pull gpio.Pull, edge gpio.Edge) error {
	if pull != gpio.PullUp || edge != gpio.NoEdge {
		return fmt.Errorf("matrix model row %d: in %s %s: want pull-up, no edge", r.r+1, pull, edge)
	}
	return r.set(gpio.High)
}

// In accepts the pull-up and falling edges the scanner asks for.
func (c *modelCol) In(pull gpio.Pull, edge gpio.Edge) error {
	if pull != gpio.PullUp || edge != gpio.FallingEdge {
		return fmt.Errorf("matrix model column %d: in %s %s: want pull-up, falling edge", c.c+1, pull, edge)
	}
	return nil
}

// Read returns the column's level.
func (c *modelCol) Read() gpio.Level {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return gpio.Level(!c.m.low(c.c))
}

// WaitForEdge waits up to timeout for a falling edge (or Halt).
func (c *modelCol) WaitForEdge(timeout time.Duration) bool {
	t := c.m.clk.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.edges:
		return true
	case <-t.Chan():
		return false
	}
}

// Halt wakes a pending WaitForEdge.
func (c *modelCol) Halt() error {
	select {
	case c.edges <- struct{}{}:
	default:
	}
	return nil
}

// wakesOnHalt: Halt wakes WaitForEdge.
func (c *modelCol) wakesOnHalt() {}

// simMatrix is the sim board's matrix keypad: the model, and what its
// scanner reported (a key, or 0 when it went back to waiting).
type simMatrix struct {
	m     *matrixModel
	heard chan byte
}

// notify passes k to whoever keys the sim matrix, never blocking.
func (sm *simMatrix) notify(k byte) {
	select {
	case sm.heard <- k:
	default:
	}
}

// keyMatrix keys each of keys on the sim's matrix keypad through the
// scanner: down until the scanner reports it, up until it waits again.
func (s *Sim) keyMatrix(ctx context.Context, keys string) error {
	sm := s.matrix
	for i := range len(keys) {
		k := keys[i]
	drain:
		for {
			select {
			case <-sm.heard:
			default:
				break drain
			}
		}
		if err := sm.m.set(k, true); err != nil {
			return err
		}
		if err := sm.await(ctx, k); err != nil {
			return err
		}
		if err := sm.m.set(k, false); err != nil {
			return err
		}
		if err := sm.await(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

// await waits until the scanner reports k.
func (sm *simMatrix) await(ctx context.Context, k byte) error {
	for {
		select {
		case h := <-sm.heard:
			if h == k {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("sim: matrix key %q: %w", k, ctx.Err())
		}
	}
}
