//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is the keypad outside the chip, run as its own process
// ("gpiosim keypad SYSFSDIR CHIPDEV", started by checkMatrix): a 3×4
// matrix keypad joining rows and columns of the simulated chip. A column
// reads low while a key down joins it to a row the board drives low (an
// output at 0); otherwise its pull-up holds it high. It watches the rows
// (their values, and from the chip's line info whether each is driven)
// and sets each column's sysfs pull. Two keys of one column joining a row
// driven low to one driven high is a short, counted.
//
// It polls every 500 µs on a SCHED_FIFO thread of its own process, with
// preopened files and no allocation, so that it answers a row change far
// inside the 40 ms per row the check gives the scanner, whatever the test
// process does. Its stdin takes "k+" (key k down) and "k-" (up); it writes "i" to stdout
// each time it sees every row driven low again (the scanner waits for a
// key), and "shorts N" when stdin ends.

// matrixRows and matrixCols are the keypad's wires on the simulated chip:
// none is a pin of the rpi profile.
var (
	matrixRows = []int{12, 13, 16, 26}
	matrixCols = []int{4, 6, 7}
)

const matrixKeys = "123456789*0#"

// lineInfoIoctl is GPIO_V2_GET_LINEINFO_IOCTL (struct gpio_v2_line_info
// is 256 bytes; offset is the u32 at byte 64, flags the u64 at byte 72).
const lineInfoIoctl = 3<<30 | 256<<16 | 0xB4<<8 | 0x05

const lineFlagOutput = 1 << 3

// keypadProc is the keypad process's state.
type keypadProc struct {
	chip  int      // the chip's character device
	value [4]int   // the rows' sysfs value files
	pull  [3]int   // the columns' sysfs pull files
	low   [3]bool  // what each column's pull says
	down  [12]bool // the keys down
	idle  bool
	info  [256]byte
	buf   [16]byte
}

// runKeypad is the keypad process.
func runKeypad(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("keypad: want SYSFSDIR CHIPDEV, not %q", args)
	}
	runtime.LockOSThread()
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 50}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return fmt.Errorf("keypad: SCHED_FIFO: %w", err)
	}
	p := &keypadProc{}
	var err error
	if p.chip, err = unix.Open(args[1], unix.O_RDWR, 0); err != nil {
		return fmt.Errorf("keypad: open %s: %w", args[1], err)
	}
	for r, n := range matrixRows {
		if p.value[r], err = unix.Open(fmt.Sprintf("%s/sim_gpio%d/value", args[0], n), unix.O_RDONLY, 0); err != nil {
			return fmt.Errorf("keypad: row GPIO%d: %w", n, err)
		}
	}
	for c, n := range matrixCols {
		if p.pull[c], err = unix.Open(fmt.Sprintf("%s/sim_gpio%d/pull", args[0], n), unix.O_WRONLY, 0); err != nil {
			return fmt.Errorf("keypad: column GPIO%d: %w", n, err)
		}
		if _, err := unix.Pwrite(p.pull[c], []byte("pull-up"), 0); err != nil {
			return fmt.Errorf("keypad: column GPIO%d: %w", n, err)
		}
	}
	if err := unix.SetNonblock(0, true); err != nil {
		return err
	}
	shorts := 0
	for {
		n, err := unix.Read(0, p.buf[:])
		if n == 0 && err == nil {
			break // stdin ended
		}
		for i := 0; i+1 < n; i += 2 {
			if k := strings.IndexByte(matrixKeys, p.buf[i]); k >= 0 {
				p.down[k] = p.buf[i+1] == '+'
			}
		}
		short, err := p.step()
		if err != nil {
			return err
		}
		if short {
			shorts++
		}
		_ = unix.Nanosleep(&unix.Timespec{Nsec: 500_000}, nil)
	}
	_, err = fmt.Printf("shorts %d\n", shorts)
	return err
}

// step reads the rows once and sets each column that changed; it reports
// a short.
func (p *keypadProc) step() (bool, error) {
	var lvl [4]int // -1 driven low, +1 driven high, 0 released
	all := true
	for r, n := range matrixRows {
		if _, err := unix.Pread(p.value[r], p.buf[:], 0); err != nil {
			return false, fmt.Errorf("keypad: read row GPIO%d: %w", n, err)
		}
		v := p.buf[0]
		clear(p.info[:])
		binary.LittleEndian.PutUint32(p.info[64:], uint32(n))
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(p.chip), lineInfoIoctl, uintptr(unsafe.Pointer(&p.info[0]))); e != 0 {
			return false, fmt.Errorf("keypad: line info of GPIO%d: %w", n, e)
		}
		if binary.LittleEndian.Uint64(p.info[72:])&lineFlagOutput != 0 {
			lvl[r] = 1
			if v == '0' {
				lvl[r] = -1
			}
		}
		all = all && lvl[r] == -1
	}
	if all && !p.idle {
		if _, err := unix.Write(1, []byte("i")); err != nil {
			return false, err
		}
	}
	p.idle = all
	short := false
	for c := range matrixCols {
		var lo, hi bool
		for r := range matrixRows {
			if p.down[r*3+c] {
				lo, hi = lo || lvl[r] < 0, hi || lvl[r] > 0
			}
		}
		short = short || lo && hi
		if p.low[c] != lo {
			how := "pull-up"
			if lo {
				how = "pull-down"
			}
			if _, err := unix.Pwrite(p.pull[c], []byte(how), 0); err != nil {
				return false, fmt.Errorf("keypad: column GPIO%d %s: %w", matrixCols[c], how, err)
			}
			p.low[c] = lo
		}
	}
	return short, nil
}

// keypadMain runs the keypad process and exits.
func keypadMain(args []string) {
	if err := runKeypad(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
