package board

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3/spi"
)

// APA102 drives a chain of APA102 RGB LEDs over SPI (periph's devices
// module, which has a driver, is not available to this project). It keeps
// every LED's colour and sends the whole chain on each change.
type APA102 struct {
	mu         sync.Mutex
	conn       spi.Conn
	brightness byte // 0..31
	rgb        [][3]byte
}

// NewAPA102 returns a chain of n LEDs on conn at a global brightness of
// 0..31 (higher values are clamped).
func NewAPA102(conn spi.Conn, n int, brightness byte) *APA102 {
	return &APA102{conn: conn, brightness: min(brightness, 31), rgb: make([][3]byte, n)}
}

// Set sets LED i to r, g, b and sends the chain.
func (a *APA102) Set(i int, r, g, b byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i < 0 || i >= len(a.rgb) {
		return fmt.Errorf("apa102: set LED %d: %w (chain has %d)", i, ErrNoSuchPin, len(a.rgb))
	}
	a.rgb[i] = [3]byte{r, g, b}
	if err := a.conn.Tx(a.frame(), nil); err != nil {
		return fmt.Errorf("apa102: send frame: %w", err)
	}
	return nil
}

// frame encodes the chain: a start frame of 32 zero bits, per LED
// 0xE0|brightness then blue, green, red, and an end frame of at least n/2
// clock edges (zero bytes, which SK9822 clones also accept).
func (a *APA102) frame() []byte {
	n := len(a.rgb)
	f := make([]byte, 0, 4+4*n+(n+15)/16)
	f = append(f, 0, 0, 0, 0)
	for _, c := range a.rgb {
		f = append(f, 0xE0|a.brightness, c[2], c[1], c[0])
	}
	for range (n + 15) / 16 {
		f = append(f, 0)
	}
	return f
}

// driver returns an output driver that lights LED i in colour rrggbb
// (white when empty).
func (a *APA102) driver(i int, color string) func(bool) error {
	c := [3]byte{0xff, 0xff, 0xff}
	if b, err := hex.DecodeString(color); err == nil && len(b) == 3 {
		c = [3]byte{b[0], b[1], b[2]}
	}
	return func(on bool) error {
		if on {
			return a.Set(i, c[0], c[1], c[2])
		}
		return a.Set(i, 0, 0, 0)
	}
}

// apaIndex parses "apa102:N".
func apaIndex(pin string) (int, bool) {
	s, ok := strings.CutPrefix(pin, "apa102:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
