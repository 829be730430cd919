//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is the keypad outside the chip, run as its own process
// ("gpiosim keypad SYSFSDIR CHIPDEV", started by checkMatrix): a 3×4
// matrix keypad joining rows and columns of the simulated chip. A column
// reads low while a key down joins it to a row the board drives low (an
// output at 0); otherwise its pull-up holds it high. It follows the rows
// (from the chip's line info whether each is driven, from sysfs at what
// level) and sets each column's sysfs pull. Two keys of one column joining
// a row driven low to one driven high is a short, counted.
//
// It follows the rows by the kernel's line info change events (a watch on
// each row line), not by polling: the board's scanner selects a row by
// reconfiguring the lines (released rows are inputs), and each change
// wakes this process, whose threads are the guest's most favoured (favour),
// so that the columns follow a row within the scanner's row time however
// slow the emulated machine. (Polling every 500 µs on a real-time thread,
// it took most of an emulated armhf CPU under load, starved the scanner
// of its row times and was then itself stopped for seconds: see favour.)
// While a key is down it also rereads the rows every 20 ms, which sees a
// row driven high by a value change alone (no event).
//
// Its stdin takes "k+" (key k down), "k-" (up) and "??" (write what it
// saw: keypadDiag); it writes "a" when it has taken a key change, "r"
// each time it sees the scanner select another single row, "i" each time
// it sees every row driven low again (the scanner waits for a key), and
// "shorts N; SUMMARY" when stdin ends.

// matrixRows and matrixCols are the keypad's wires on the simulated chip:
// none is a pin of the rpi profile.
var (
	matrixRows = []int{12, 13, 16, 26}
	matrixCols = []int{4, 6, 7}
)

const matrixKeys = "123456789*0#"

// The GPIO uAPI v2 line info: struct gpio_v2_line_info is 256 bytes
// (offset the u32 at byte 64, flags the u64 at byte 72);
// struct gpio_v2_line_info_changed is that, a u64 timestamp (ns,
// CLOCK_MONOTONIC) and the event type, 288 bytes.
const (
	lineInfoIoctl      = 3<<30 | 256<<16 | 0xB4<<8 | 0x05 // GPIO_V2_GET_LINEINFO_IOCTL
	lineInfoWatchIoctl = 3<<30 | 256<<16 | 0xB4<<8 | 0x06 // GPIO_V2_GET_LINEINFO_WATCH_IOCTL
	lineInfoChangeSize = 288
	lineFlagOutput     = 1 << 3
	// rereadMs is how often the rows are reread while a key is down.
	rereadMs = 20
)

// keypadProc is the keypad process's state.
type keypadProc struct {
	chip   int      // the chip's character device
	value  [4]int   // the rows' sysfs value files
	pull   [3]int   // the columns' sysfs pull files
	out    [4]bool  // whether each row is an output, as the kernel last said
	low    [3]bool  // what each column's pull says
	down   [12]bool // the keys down
	idle   bool
	sel    int // the single row last seen selected; -1 none
	shorts int
	woke   int64 // when the last poll returned (CLOCK_MONOTONIC, ns)
	info   [256]byte
	events [16 * lineInfoChangeSize]byte
	buf    [16]byte
	diag   keypadDiag
}

// runKeypad is the keypad process.
func runKeypad(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("keypad: want SYSFSDIR CHIPDEV, not %q", args)
	}
	runtime.LockOSThread()
	if err := favour(); err != nil {
		return err
	}
	p, err := openKeypad(args[0], args[1])
	if err != nil {
		return err
	}
	fds := []unix.PollFd{{Fd: 0, Events: unix.POLLIN}, {Fd: int32(p.chip), Events: unix.POLLIN}}
	for {
		timeout := -1
		if p.anyDown() {
			timeout = rereadMs
		}
		if _, err := unix.Poll(fds, timeout); err != nil && err != unix.EINTR {
			return fmt.Errorf("keypad: poll: %w", err)
		}
		p.woke = monoNow()
		if fds[0].Revents != 0 {
			more, err := p.commands()
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
		// A timeout is the reread; a wake by the rows, or a key, a step.
		if err := p.step(fds[0].Revents == 0 && fds[1].Revents == 0); err != nil {
			return err
		}
	}
	_, err = fmt.Printf("shorts %d; %s\n", p.shorts, p.diag.summary())
	return err
}

// favour makes every thread of this process (the keypad's and the Go
// runtime's; threads started later inherit it) the guest's most favoured
// ordinary ones, nice -20: woken by a row's change, the keypad runs ahead
// of the scanner. Not real-time: with the keypad's thread on SCHED_FIFO
// the guest's one CPU stalled, for 1-3 s at a time, until the kernel's
// real-time throttling broke it: Go's sysmon (an ordinary thread) takes
// the P of a goroutine blocked in a system call by setting its scan bit,
// and a real-time thread whose system call returned meanwhile spins in
// exitsyscall, yielding only to real-time threads, until sysmon runs again
// to clear it (with throttling off the guest hung). With the keypad's
// thread alone favoured, the same spin let the scanner run on for up to a
// second while sysmon waited its turn (rows went by unseen); sysmon as
// favoured as the keypad gets the CPU as soon as the keypad yields.
func favour() error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("keypad: threads: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, -20); err != nil && err != unix.ESRCH {
			return fmt.Errorf("keypad: nice -20 for thread %d: %w", tid, err)
		}
	}
	return nil
}

// openKeypad opens the wires, watches the rows and lets the columns up.
func openKeypad(dir, dev string) (*keypadProc, error) {
	p := &keypadProc{sel: -1}
	var err error
	if p.chip, err = unix.Open(dev, unix.O_RDWR|unix.O_NONBLOCK, 0); err != nil {
		return nil, fmt.Errorf("keypad: open %s: %w", dev, err)
	}
	for r, n := range matrixRows {
		if p.value[r], err = unix.Open(fmt.Sprintf("%s/sim_gpio%d/value", dir, n), unix.O_RDONLY, 0); err != nil {
			return nil, fmt.Errorf("keypad: row GPIO%d: %w", n, err)
		}
		// The watch answers with the line's info as it is now.
		if err := p.lineInfo(lineInfoWatchIoctl, r); err != nil {
			return nil, err
		}
	}
	for c, n := range matrixCols {
		if p.pull[c], err = unix.Open(fmt.Sprintf("%s/sim_gpio%d/pull", dir, n), unix.O_WRONLY, 0); err != nil {
			return nil, fmt.Errorf("keypad: column GPIO%d: %w", n, err)
		}
		if _, err := unix.Pwrite(p.pull[c], []byte("pull-up"), 0); err != nil {
			return nil, fmt.Errorf("keypad: column GPIO%d: %w", n, err)
		}
	}
	if err := unix.SetNonblock(0, true); err != nil {
		return nil, err
	}
	return p, p.step(false)
}

// lineInfo asks the chip for row r's line info (req: get or watch) and
// notes whether it is an output.
func (p *keypadProc) lineInfo(req uintptr, r int) error {
	clear(p.info[:])
	binary.LittleEndian.PutUint32(p.info[64:], uint32(matrixRows[r]))
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(p.chip), req, uintptr(unsafe.Pointer(&p.info[0]))); e != 0 {
		return fmt.Errorf("keypad: line info of GPIO%d: %w", matrixRows[r], e)
	}
	p.out[r] = binary.LittleEndian.Uint64(p.info[72:])&lineFlagOutput != 0
	return nil
}

// changes takes the rows' line info change events waiting on the chip
// and returns how many there were.
func (p *keypadProc) changes() (int, error) {
	events := 0
	defer func() { p.diag.batch = max(p.diag.batch, events) }()
	for {
		n, err := unix.Read(p.chip, p.events[:])
		if err == unix.EAGAIN {
			return events, nil
		}
		if err != nil {
			return events, fmt.Errorf("keypad: line info events: %w", err)
		}
		now := monoNow()
		var driven [4]bool // driven by an event of this read
		for ev := p.events[:n]; len(ev) >= lineInfoChangeSize; ev = ev[lineInfoChangeSize:] {
			offset := int(binary.LittleEndian.Uint32(ev[64:]))
			for r, n := range matrixRows {
				if n != offset {
					continue
				}
				out := binary.LittleEndian.Uint64(ev[72:])&lineFlagOutput != 0
				if driven[r] && !out {
					p.diag.missed++ // driven and released before this process saw it
				}
				driven[r] = driven[r] || out
				p.out[r] = out
			}
			at := int64(binary.LittleEndian.Uint64(ev[256:]))
			p.diag.lagged(at, now-at, p.woke-at)
			events++
		}
	}
}

// commands takes the key changes (and "??") waiting on stdin; it reports
// false when stdin ended.
func (p *keypadProc) commands() (bool, error) {
	n, err := unix.Read(0, p.buf[:])
	if err == unix.EAGAIN {
		return true, nil
	}
	if n == 0 && err == nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("keypad: stdin: %w", err)
	}
	for i := 0; i+1 < n; i += 2 {
		if k := strings.IndexByte(matrixKeys, p.buf[i]); k >= 0 {
			p.down[k] = p.buf[i+1] == '+'
			if _, err := unix.Write(1, []byte("a")); err != nil {
				return false, err
			}
		}
		if p.buf[i] == '?' {
			if err := p.diag.dump(); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// anyDown reports whether a key is down.
func (p *keypadProc) anyDown() bool {
	for _, d := range p.down {
		if d {
			return true
		}
	}
	return false
}

// step takes the rows' changes and reads their levels (when full, asking
// the chip again which are outputs), sets each column that changed, counts
// a short, and writes "r" and "i" as the scanner selects rows and lets
// them all low.
func (p *keypadProc) step(full bool) error {
	lvl, err := p.rows(full)
	if err != nil {
		return err
	}
	all, driven := true, 0
	for _, l := range lvl {
		all = all && l < 0
		if l < 0 {
			driven++
		}
	}
	if err := p.progress(lvl, all, driven); err != nil {
		return err
	}
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
				return fmt.Errorf("keypad: column GPIO%d %s: %w", matrixCols[c], how, err)
			}
			p.low[c] = lo
		}
	}
	if short {
		p.shorts++
	}
	p.diag.saw(lvl, p.down, p.low)
	return nil
}

// rows returns the rows' levels (-1 driven low, +1 driven high, 0
// released) as one moment saw them: a row's level (sysfs) and whether it
// is an output (the events) are read apart, so it reads again while
// changes came in between (a row just released reads high before its event
// says it is an input). When full, or when so many changes came that the
// kernel may have dropped some (it keeps 32), it asks the chip which rows
// are outputs.
func (p *keypadProc) rows(full bool) ([4]int, error) {
	var lvl [4]int
	for try := 0; ; try++ {
		n, err := p.changes()
		if err != nil {
			return lvl, err
		}
		if try > 0 && n == 0 || try == 8 {
			return lvl, nil
		}
		for r, row := range matrixRows {
			if full || n >= 32 {
				if err := p.lineInfo(lineInfoIoctl, r); err != nil {
					return lvl, err
				}
			}
			lvl[r] = 0
			if !p.out[r] {
				continue
			}
			if _, err := unix.Pread(p.value[r], p.buf[:], 0); err != nil {
				return lvl, fmt.Errorf("keypad: read row GPIO%d: %w", row, err)
			}
			lvl[r] = 1
			if p.buf[0] == '0' {
				lvl[r] = -1
			}
		}
		full = false
	}
}

// progress writes "i" when the rows are all driven low again and "r" when
// another single row is the one driven low.
func (p *keypadProc) progress(lvl [4]int, all bool, driven int) error {
	if all && !p.idle {
		p.sel = -1
		p.diag.idles++
		if _, err := unix.Write(1, []byte("i")); err != nil {
			return err
		}
	}
	p.idle = all
	if driven != 1 {
		return nil
	}
	for r, l := range lvl {
		if l < 0 && r != p.sel {
			p.sel = r
			p.diag.rows++
			if _, err := unix.Write(1, []byte("r")); err != nil {
				return err
			}
		}
	}
	return nil
}

// keypadMain runs the keypad process and exits.
func keypadMain(args []string) {
	if err := runKeypad(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
