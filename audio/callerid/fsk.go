package callerid

import (
	"fmt"
	"math"
	"slices"
)

// Rate is the sample rate, in Hz, of every signal this package makes.
const Rate = 8000

// Baud is the bit rate of both FSK standards.
const Baud = 1200

// Standard is an FSK caller-ID modem.
type Standard int

// The FSK standards.
const (
	// Bell202 is Telcordia GR-30 (North America): mark 1200 Hz, space
	// 2200 Hz.
	Bell202 Standard = iota
	// V23 is ETSI EN 300 659-1 (Europe): ITU-T V.23 forward channel,
	// mark 1300 Hz, space 2100 Hz.
	V23
)

// Tones returns the standard's mark (1) and space (0) frequencies in Hz.
func (s Standard) Tones() (mark, space float64) {
	if s == V23 {
		return 1300, 2100
	}
	return 1200, 2200
}

// String names the standard as configuration does ("bell202", "v23").
func (s Standard) String() string {
	switch s {
	case Bell202:
		return "bell202"
	case V23:
		return "v23"
	}
	return fmt.Sprintf("callerid.Standard(%d)", int(s))
}

// Defaults of FSKOptions (both standards: 300 seizure bits, 180 mark
// bits; ETSI allows 180 +/- 25).
const (
	DefaultSeizureBits = 300
	DefaultMarkBits    = 180
	DefaultTailBits    = 10
	// DefaultLevel is the FSK level in dBm0: Bell and ETSI both send
	// about -13.5 dBm at the line.
	DefaultLevel = -13.5
)

// FullScaleDBm0 is the level of a full-scale sine in 16-bit linear PCM
// under the G.711 convention (A-law +3.14 dBm0; mu-law +3.17).
const FullScaleDBm0 = 3.14

// FSKOptions shape one FSK transmission. The zero value is Bell 202 with
// the defaults above.
type FSKOptions struct {
	Standard Standard
	// SeizureBits is the channel seizure's length in bits (alternating
	// 0 and 1, starting with 0); 0 means DefaultSeizureBits, negative
	// means none (ETSI's call-waiting and off-hook forms send none).
	SeizureBits int
	// MarkBits is the mark signal's length (1 bits before the message);
	// 0 means DefaultMarkBits.
	MarkBits int
	// TailBits are mark bits after the checksum, so that a receiver's
	// filters flush the last byte; 0 means DefaultTailBits, negative none.
	TailBits int
	// Level is the level of the signal in dBm0 (see FullScaleDBm0); 0
	// means DefaultLevel. It must be between -40 and 0.
	Level float64
}

func (o FSKOptions) withDefaults() (FSKOptions, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	def(&o.SeizureBits, DefaultSeizureBits)
	def(&o.MarkBits, DefaultMarkBits)
	def(&o.TailBits, DefaultTailBits)
	if o.Level == 0 {
		o.Level = DefaultLevel
	}
	switch {
	case o.Standard != Bell202 && o.Standard != V23:
		return o, fmt.Errorf("callerid: fsk: unknown standard %d", int(o.Standard))
	case !(o.Level >= -40 && o.Level <= 0): // NaN fails too
		return o, fmt.Errorf("callerid: fsk: level %g dBm0 outside -40..0", o.Level)
	case o.SeizureBits > 10000 || o.MarkBits > 10000 || o.TailBits > 10000:
		return o, fmt.Errorf("callerid: fsk: %d seizure, %d mark, %d tail bits: at most 10000 each",
			o.SeizureBits, o.MarkBits, o.TailBits)
	}
	return o, nil
}

// Amplitude returns the peak sample value of a sine at level dBm0.
func Amplitude(level float64) float64 {
	return 32767 * math.Pow(10, (level-FullScaleDBm0)/20)
}

// FSKSamples returns how many samples FSK makes for a message of n bytes
// with the options o (after defaults).
func FSKSamples(n int, o FSKOptions) (int, error) {
	o, err := o.withDefaults()
	if err != nil {
		return 0, err
	}
	return endSample(o.SeizureBits + o.MarkBits + 10*n + o.TailBits), nil
}

// endSample is the sample at which bit k starts: bits are Rate/Baud = 6 2/3
// samples long, so their edges fall on rounded multiples of 20/3.
func endSample(k int) int { return (k*Rate + Baud/2) / Baud }

// FSK modulates msg (normally a Marshal result) as on-hook caller ID:
// channel seizure, mark signal, each byte as start bit, eight data bits
// LSB first and stop bit, then the tail. The oscillator is phase-continuous
// across bit edges.
func FSK(msg []byte, o FSKOptions) ([]int16, error) {
	return AppendFSK(nil, msg, o)
}

// AppendFSK is FSK appending to dst.
func AppendFSK(dst []int16, msg []byte, o FSKOptions) ([]int16, error) {
	o, err := o.withDefaults()
	if err != nil {
		return dst, err
	}
	if len(msg) > 4096 {
		return dst, fmt.Errorf("callerid: fsk: message of %d bytes, at most 4096", len(msg))
	}
	mark, space := o.Standard.Tones()
	m := modulator{dst: dst, amp: Amplitude(o.Level), step: [2]float64{space / Rate, mark / Rate}}
	m.dst = slices.Grow(m.dst, endSample(o.SeizureBits+o.MarkBits+10*len(msg)+o.TailBits))
	for i := range o.SeizureBits {
		m.bit(i & 1)
	}
	for range o.MarkBits {
		m.bit(1)
	}
	for _, c := range msg {
		m.bit(0)
		for j := range 8 {
			m.bit(int(c>>j) & 1)
		}
		m.bit(1)
	}
	for range o.TailBits {
		m.bit(1)
	}
	return m.dst, nil
}

// modulator is a phase-continuous two-tone oscillator.
type modulator struct {
	dst   []int16
	amp   float64
	step  [2]float64 // phase step per sample for space (0) and mark (1)
	phase float64    // in cycles, [0, 1)
	bits  int        // bits sent so far
}

func (m *modulator) bit(b int) {
	n := endSample(m.bits+1) - endSample(m.bits)
	m.bits++
	st := m.step[b]
	for range n {
		m.dst = append(m.dst, int16(math.Round(m.amp*math.Sin(2*math.Pi*m.phase))))
		m.phase += st
		if m.phase >= 1 {
			m.phase--
		}
	}
}
