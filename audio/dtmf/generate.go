package dtmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultGain is each component's default amplitude as a fraction of full
// scale (about -14 dBFS).
const DefaultGain = 0.2

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("dtmf: closed")

// Freqs returns the row and column frequencies of digit.
func Freqs(digit byte) (row, col float64, err error) {
	i := strings.IndexByte(Digits, upper(digit))
	if i < 0 {
		return 0, 0, fmt.Errorf("dtmf: %q is not a DTMF digit", digit)
	}
	return rowFreqs[i/4], colFreqs[i%4], nil
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'd' {
		return b - 'a' + 'A'
	}
	return b
}

// Generator plays a digit string as DTMF tones (it implements
// audio.Source): each digit on for On, then silent for Off; after the last
// digit it returns io.EOF. It is not paced.
type Generator struct {
	digits  string
	on, off int // samples
	gain    float64
	idx     int // current digit
	pos     int // sample within the digit's on+off
	closed  atomic.Bool
	row     float64
	col     float64
}

// NewGenerator returns a generator for digits (0-9, *, #, A-D) with on and
// off durations (at least 10 ms) and gain per component (see DefaultGain).
func NewGenerator(digits string, on, off time.Duration, gain float64) (*Generator, error) {
	for i := range len(digits) {
		if _, _, err := Freqs(digits[i]); err != nil {
			return nil, err
		}
	}
	if on < 10*time.Millisecond || off < 0 || on > time.Minute || off > time.Minute {
		return nil, fmt.Errorf("dtmf: tone timing %v on / %v off out of range", on, off)
	}
	if !(gain > 0 && gain <= 0.5) { // NaN fails too
		return nil, fmt.Errorf("dtmf: gain %g out of range (0, 0.5]", gain)
	}
	return &Generator{digits: digits, gain: gain * 32767,
		on: int(on * rate / time.Second), off: int(off * rate / time.Second)}, nil
}

// Read fills frame with the next samples; the last frame is padded with
// silence.
func (g *Generator) Read(ctx context.Context, frame []int16) error {
	if g.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.idx >= len(g.digits) {
		return io.EOF
	}
	for i := range frame {
		frame[i] = g.next()
	}
	if g.pos == g.on+g.off { // so the source ends right after the last digit
		g.idx, g.pos = g.idx+1, 0
	}
	return nil
}

func (g *Generator) next() int16 {
	if g.pos == g.on+g.off {
		g.idx, g.pos = g.idx+1, 0
	}
	if g.idx >= len(g.digits) {
		return 0
	}
	if g.pos == 0 {
		g.row, g.col, _ = Freqs(g.digits[g.idx])
	}
	n := g.pos
	g.pos++
	if n >= g.on {
		return 0
	}
	t := float64(n) / rate
	v := math.Sin(2*math.Pi*g.row*t) + math.Sin(2*math.Pi*g.col*t)
	return int16(math.Round(v * g.gain))
}

// Close makes later Reads fail with ErrClosed.
func (g *Generator) Close() error { g.closed.Store(true); return nil }
