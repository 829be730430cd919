package board

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// This file is the door's keypad: a USB numeric keypad read through the
// kernel's input event device (evdev), and the sim board's keys.

// Linux input event codes (linux/input-event-codes.h) of the keys a
// numeric keypad has.
const (
	evKey     = 1
	keyPress  = 1 // value of a key going down (0: up, 2: auto-repeat)
	keyEnter  = 28
	keyKPStar = 55
	keyKPEnt  = 96
)

// keyOf maps key codes to the keys of a door code.
var keyOf = map[uint16]byte{
	2: '1', 3: '2', 4: '3', 5: '4', 6: '5', 7: '6', 8: '7', 9: '8', 10: '9', 11: '0',
	71: '7', 72: '8', 73: '9', 75: '4', 76: '5', 77: '6', 79: '1', 80: '2', 81: '3', 82: '0',
	keyKPStar: '*', keyKPEnt: '#', keyEnter: '#',
}

// eventSize is the size of struct input_event on this platform: a
// struct timeval of two longs, then type, code (16 bits) and value (32).
const eventSize = 2*strconv.IntSize/8 + 8

// readKeys reads input events from r until it fails or ends, and calls
// key for each key pressed that a door code has.
func readKeys(r io.Reader, key func(byte)) error {
	buf := make([]byte, eventSize)
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		ev := buf[eventSize-8:]
		typ := binary.NativeEndian.Uint16(ev[0:])
		code := binary.NativeEndian.Uint16(ev[2:])
		val := int32(binary.NativeEndian.Uint32(ev[4:]))
		if k, ok := keyOf[code]; ok && typ == evKey && val == keyPress {
			key(k)
		}
	}
}

// openKeypad opens the keypad device and starts its reader; Close stops
// it by closing the device.
func (b *Board) openKeypad(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("board: open keypad: %w", err)
	}
	b.keypad = f
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		err := readKeys(f, func(k byte) {
			b.emit(Event{Role: Keypad, Kind: KeyPressed, Key: k, Time: b.clk.Now()})
		})
		if !errors.Is(err, os.ErrClosed) {
			b.log.Warn("keypad stopped", "device", path, "err", err)
		}
	}()
	return nil
}

// ErrNoSuchKey reports a key the sim board's keypad lacks.
var ErrNoSuchKey = errors.New("no such key on the keypad")

// Keys keys each of keys on the sim board's keypad ('0'-'9', '*', '#'):
// on its matrix keypad through the scanner when one is configured.
func (s *Sim) Keys(ctx context.Context, keys string) error {
	for i := range len(keys) {
		k := keys[i]
		if (k < '0' || k > '9') && k != '*' && k != '#' {
			return fmt.Errorf("sim: key %q: %w (0-9, * and #)", k, ErrNoSuchKey)
		}
		if s.matrix != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.b.emit(Event{Role: Keypad, Kind: KeyPressed, Key: k, Time: s.b.clk.Now()})
	}
	if s.matrix != nil {
		return s.keyMatrix(ctx, keys)
	}
	return nil
}
