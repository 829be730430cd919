//go:build linux

package board

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/gpio"
)

// edgeLine is an input line that sipbell requests from the kernel's GPIO
// character device itself (uAPI v2) instead of through periph, because
// periph's WaitForEdge drops what each edge event says: when it happened
// (the kernel's timestamp) and which way it went. With them, the board's
// events are timed at the edge, not at the reader's wake-up, and edges
// queued while the reader was slow keep their order and timing instead of
// merging (see Debounced: a pin with EdgeAt). The other gpio.PinIO methods
// (names, functions) are the periph line's, which is never requested.
type edgeLine struct {
	gpio.PinIO // periph's line: names only
	chip       string
	offset     uint32
	f          *os.File // the line request's fd; nil until In
	level      atomic.Bool
	halted     atomic.Bool
	live       bool      // Read asks the kernel for the present level
	at         time.Time // the last event's time (the reader's goroutine only)
}

// The uAPI v2 structures of <linux/gpio.h>, laid out as the kernel does
// (only naturally aligned fields: the same on 32- and 64-bit ARM).
type (
	lineAttribute struct {
		id, padding uint32
		value       uint64
	}
	lineConfigAttribute struct {
		attr lineAttribute
		mask uint64
	}
	lineConfig struct {
		flags    uint64
		numAttrs uint32
		padding  [5]uint32
		attrs    [10]lineConfigAttribute
	}
	lineRequest struct {
		offsets         [64]uint32
		consumer        [32]byte
		config          lineConfig
		numLines        uint32
		eventBufferSize uint32
		padding         [5]uint32
		fd              int32
	}
	lineValues struct{ bits, mask uint64 }
)

const (
	lineEventSize = 48 // struct gpio_v2_line_event

	flagInput       = 1 << 2
	flagEdgeRising  = 1 << 4
	flagEdgeFalling = 1 << 5
	flagPullUp      = 1 << 8
	flagPullDown    = 1 << 9
	flagBiasOff     = 1 << 10

	eventRising = 1

	// edgeBuffer bounds the events the kernel keeps for a slow reader
	// (a dialled 0 is 20 edges, plus bounce).
	edgeBuffer = 64
)

// ioctlWR is _IOWR(0xB4, nr, size) (the same on ARM and x86).
func ioctlWR(nr, size uintptr) uintptr { return 3<<30 | size<<16 | 0xB4<<8 | nr }

var (
	getLineIoctl   = ioctlWR(0x07, unsafe.Sizeof(lineRequest{}))
	getValuesIoctl = ioctlWR(0x0E, unsafe.Sizeof(lineValues{}))
)

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// errEdgeRequest reports an edge line asked for no edges, or twice.
var errEdgeRequest = errors.New("want one request with edges")

// In requests the line as an input with pull and edge (gpio.BothEdges for
// an input whose events carry its levels; one edge only for a live line)
// and reads its level.
func (l *edgeLine) In(pull gpio.Pull, edge gpio.Edge) error {
	if edge == gpio.NoEdge || l.f != nil || (edge != gpio.BothEdges && !l.live) {
		return fmt.Errorf("gpio %s: edge line: in %s %s: %w", l, pull, edge, errEdgeRequest)
	}
	chip, err := os.OpenFile(l.chip, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer chip.Close()
	var req lineRequest
	req.offsets[0], req.numLines, req.eventBufferSize = l.offset, 1, edgeBuffer
	copy(req.consumer[:], "sipbell")
	req.config.flags = flagInput
	if edge != gpio.FallingEdge {
		req.config.flags |= flagEdgeRising
	}
	if edge != gpio.RisingEdge {
		req.config.flags |= flagEdgeFalling
	}
	switch pull {
	case gpio.PullUp:
		req.config.flags |= flagPullUp
	case gpio.PullDown:
		req.config.flags |= flagPullDown
	case gpio.Float:
		req.config.flags |= flagBiasOff
	}
	if err := ioctl(chip.Fd(), getLineIoctl, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("request %s line %d: %w", l.chip, l.offset, err)
	}
	if err := unix.SetNonblock(int(req.fd), true); err != nil {
		_ = unix.Close(int(req.fd))
		return err
	}
	l.f = os.NewFile(uintptr(req.fd), l.String())
	lvl, err := l.present()
	if err != nil {
		return err
	}
	l.level.Store(lvl)
	return nil
}

// present asks the kernel for the line's level now.
func (l *edgeLine) present() (bool, error) {
	v := lineValues{mask: 1}
	if err := ioctl(l.f.Fd(), getValuesIoctl, unsafe.Pointer(&v)); err != nil {
		return false, fmt.Errorf("read %s line %d: %w", l.chip, l.offset, err)
	}
	return v.bits&1 == 1, nil
}

// Read returns the level the last edge event left (or the level read at
// In): the events' order, not the line's present state, is what counts.
// A live line (a matrix keypad's column, read while its rows change)
// returns its present level instead (high when that read fails: no key).
func (l *edgeLine) Read() gpio.Level {
	if l.live && l.f != nil {
		lvl, err := l.present()
		return gpio.Level(lvl || err != nil)
	}
	return gpio.Level(l.level.Load())
}

// WaitForEdge takes the next edge event within timeout.
func (l *edgeLine) WaitForEdge(timeout time.Duration) bool {
	if l.f == nil || l.f.SetReadDeadline(time.Now().Add(timeout)) != nil || l.halted.Load() {
		return false
	}
	var ev [lineEventSize]byte
	if _, err := io.ReadFull(l.f, ev[:]); err != nil {
		return false
	}
	ts := int64(binary.LittleEndian.Uint64(ev[0:]))
	var mono unix.Timespec
	now := time.Now()
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono) == nil {
		now = now.Add(-time.Duration(mono.Nano() - ts))
	}
	l.at = now
	l.level.Store(binary.LittleEndian.Uint32(ev[8:]) == eventRising)
	return true
}

// EdgeAt returns when the edge WaitForEdge last took happened, by the
// kernel's clock.
func (l *edgeLine) EdgeAt() time.Time { return l.at }

// wakesOnHalt: Halt sets the read deadline, waking WaitForEdge.
func (l *edgeLine) wakesOnHalt() {}

// Halt makes a pending and every later WaitForEdge return false.
func (l *edgeLine) Halt() error {
	l.halted.Store(true)
	if l.f != nil {
		return l.f.SetReadDeadline(time.Now())
	}
	return nil
}

// Out refuses: the line is an input.
func (l *edgeLine) Out(gpio.Level) error {
	return fmt.Errorf("gpio %s: %w", l, errors.New("an input line cannot be driven"))
}

// Close releases the line.
func (l *edgeLine) Close() {
	if l.f != nil {
		_ = l.f.Close()
	}
}
