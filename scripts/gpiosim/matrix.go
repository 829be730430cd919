//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/board"
)

// keypad is the keypad process (keypad.go) as checkMatrix drives it.
type keypad struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   chan string // "a", "r", "i" as the process wrote them; its lines
	errs  strings.Builder
	diary diary // what the check did, for a failure to explain itself
}

// The keypad's waits are bounded by what the scanner does, not by time:
// an emulated machine under load may hold each row for seconds, and that
// is no failure of the scanner's logic.
const (
	// maxScanRows is how many single rows the scanner may select (eight
	// passes over the four rows) to read a key, or after every key went up
	// before it drives all rows low again: a press is read in the second
	// pass that sees it (20 ms debounce; a pass is four 40 ms rows), the
	// release ends the scan a pass later.
	maxScanRows = 32
	// hangGuard ends a wait in which neither the scanner nor the board did
	// anything at all: something is stuck.
	hangGuard = 30 * time.Second
)

// startKeypad starts the keypad process with every key up.
func startKeypad(c chip) (*keypad, error) {
	k := &keypad{cmd: exec.Command("/proc/self/exe", "keypad", c.Dir, c.Dev), out: make(chan string, 64)}
	k.cmd.Stderr = &k.errs
	var err error
	if k.in, err = k.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := k.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := k.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the keypad process: %w", err)
	}
	go func() {
		defer close(k.out)
		r := bufio.NewReader(out)
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			if b == 'a' || b == 'r' || b == 'i' {
				k.diary.add("keypad: " + string(b))
				k.out <- string(b)
				continue
			}
			line, _ := r.ReadString('\n')
			k.out <- string(b) + strings.TrimSpace(line)
		}
	}()
	return k, k.awaitIdle()
}

// next returns the keypad process's next word, or an error when it ended
// or said nothing within hangGuard.
func (k *keypad) next() (string, error) {
	select {
	case s, ok := <-k.out:
		if !ok {
			return "", fmt.Errorf("keypad process ended: %s", k.errs.String())
		}
		return s, nil
	case <-time.After(hangGuard):
		return "", fmt.Errorf("the keypad saw no row change for %v (%s)", hangGuard, k.explain())
	}
}

// press puts key c down or up, once the keypad process has taken it: what
// it said before is about the wires before.
func (k *keypad) press(c byte, down bool) error {
	how := byte('-')
	if down {
		how = '+'
	}
	k.diary.add(fmt.Sprintf("press %c%c", c, how))
	if _, err := k.in.Write([]byte{c, how}); err != nil {
		return err
	}
	for {
		s, err := k.next()
		if err != nil || s == "a" {
			return err
		}
	}
}

// awaitIdle waits until the keypad next sees every row driven low, as
// long as the scanner keeps selecting rows (at most maxScanRows).
func (k *keypad) awaitIdle() error {
	for rows := 0; ; {
		s, err := k.next()
		switch {
		case err != nil:
			return err
		case s == "i":
			return nil
		case s == "r":
			rows++
		}
		if rows > maxScanRows {
			return fmt.Errorf("the scanner selected %d rows one by one and never drove all rows low again (%s)", rows, k.explain())
		}
	}
}

// close ends the keypad process and returns the shorts it counted and
// what else it saw (keypadDiag's summary).
func (k *keypad) close() (int, string, error) {
	_ = k.in.Close()
	last := ""
	for s := range k.out {
		last = s
	}
	if err := k.cmd.Wait(); err != nil {
		return 0, "", fmt.Errorf("keypad process: %w: %s", err, k.errs.String())
	}
	var n int
	if _, err := fmt.Sscanf(last, "shorts %d", &n); err != nil {
		return 0, "", fmt.Errorf("keypad process said %q: %w", last, err)
	}
	_, saw, _ := strings.Cut(last, "; ")
	return n, saw, nil
}

// keyEvents collects the next n key presses the board reports, as long as
// the scanner keeps selecting rows (at most maxScanRows).
func keyEvents(b *board.Board, k *keypad, n int) (string, error) {
	var got []byte
	rows := 0
	for len(got) < n {
		select {
		case ev := <-b.Events():
			if ev.Kind != board.KeyPressed {
				return string(got), fmt.Errorf("got %s %s, want a key", ev.Role, ev.Kind)
			}
			k.diary.add(fmt.Sprintf("board: key %c", ev.Key))
			got = append(got, ev.Key)
		case s, ok := <-k.out:
			if !ok {
				return string(got), fmt.Errorf("keypad process ended: %s", k.errs.String())
			}
			if s == "r" {
				rows++
			}
			if rows > maxScanRows {
				return string(got), fmt.Errorf("only %q while the scanner selected %d rows one by one (%s)", got, rows, k.explain())
			}
		case <-time.After(hangGuard):
			return string(got), fmt.Errorf("only %q, and the keypad saw no row change for %v (%s)", got, hangGuard, k.explain())
		}
	}
	return string(got), nil
}

// checkMatrix: the door's 3×4 matrix keypad on the header, its keys
// joining rows and columns in another process (keypad.go): an idle keypad
// wakes nothing; "1234#" keyed one after another is read; two keys held
// in one column are both read, with no row ever driven against another.
// It runs first, while no timer of another check is pending.
func checkMatrix(report reporter, c chip) {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Each row is driven for 40 ms (matrix_keypad.scan), not the default
	// 5 ms: under qemu's emulation of a loaded machine the keypad process
	// takes a row's change 5-40 ms late now and then (keypadDiag's lags),
	// and a key is read from rows the wires have followed. What is checked
	// is the board's scanning, not its speed.
	cfg := board.Config{Profile: "rpi", MatrixKeypad: &board.MatrixKeypad{Scan: 40 * time.Millisecond}}
	for _, n := range matrixRows {
		cfg.MatrixKeypad.Rows = append(cfg.MatrixKeypad.Rows, fmt.Sprintf("GPIO%d", n))
	}
	for _, n := range matrixCols {
		cfg.MatrixKeypad.Cols = append(cfg.MatrixKeypad.Cols, fmt.Sprintf("GPIO%d", n))
	}
	b, err := board.Open(cfg, log)
	report("open the rpi profile with a matrix keypad", err, fmt.Sprint(cfg.MatrixKeypad.Rows, cfg.MatrixKeypad.Cols))
	if err != nil {
		return
	}
	defer b.Close()
	drain(b, 200*time.Millisecond)
	idle := idleSwitches()
	err = nil
	if slices.Min(idle) > idleWindow {
		err = fmt.Errorf("%v voluntary context switches in %d s windows, want at most one a second", idle, idleWindow)
	}
	report("an idle matrix keypad (and board) wakes nothing", err,
		fmt.Sprintf("(%v voluntary context switches of its threads but sysmon in %d s windows; judged on the quietest)", idle, idleWindow))

	k, err := startKeypad(c)
	if err != nil {
		report("the keypad process", err, "")
		return
	}
	typed, err := typeKeys(b, k, "1234#")
	report(`"1234#" keyed on the matrix is read`, err, fmt.Sprintf("(read %q)", typed))

	got := ""
	err = k.press('2', true)
	if err == nil {
		err = k.press('5', true) // one column, two rows
	}
	if err == nil {
		got, err = keyEvents(b, k, 2)
	}
	if err == nil && got != "25" && got != "52" {
		err = fmt.Errorf("read %q", got)
	}
	if err == nil {
		err = errors.Join(k.press('2', false), k.press('5', false))
	}
	if err == nil {
		err = k.awaitIdle()
	}
	if err == nil {
		err = quiet(b, 100*time.Millisecond)
	}
	report("two keys held in one column are both read", err, fmt.Sprintf("(2 and 5: read %q)", got))
	shorts, saw, err := k.close()
	if err == nil && shorts > 0 {
		err = fmt.Errorf("%d times two keys of a column joined a row driven low to one driven high", shorts)
	}
	report("no row driven against another (unselected rows released, not high)", err, "(keypad: "+saw+")")
}

// typeKeys keys each of keys (down until the board reports it, up until
// the scanner waits again) and returns what the board read.
func typeKeys(b *board.Board, k *keypad, keys string) (string, error) {
	var typed strings.Builder
	for i := range len(keys) {
		c := keys[i]
		err := k.press(c, true)
		got := ""
		if err == nil {
			got, err = keyEvents(b, k, 1)
		}
		typed.WriteString(got)
		if err == nil && got != string(c) {
			err = fmt.Errorf("read as %q", got)
		}
		if err == nil {
			err = k.press(c, false)
		}
		if err == nil {
			err = k.awaitIdle()
		}
		if err != nil {
			return typed.String(), fmt.Errorf("key %c: %w", c, err)
		}
	}
	return typed.String(), nil
}

// idleWindow is how long each of idleSwitches' windows is, in seconds.
const idleWindow = 5

// idleSwitches counts this process's voluntary context switches (of all
// its threads) in three windows of idleWindow seconds (issue 16: at most
// one a second); the Go runtime adds some now and then, a polling reader
// its own every time.
func idleSwitches() []int {
	debug.FreeOSMemory() // the runtime's scavenger has nothing left to return
	sleep(100 * time.Millisecond)
	var n []int
	for range 3 {
		a := switches()
		sleep(idleWindow * time.Second)
		n = append(n, switches()-a)
	}
	return n
}

// switches sums the voluntary context switches of this process's threads
// but the runtime's sysmon (the first thread the runtime starts, the
// lowest thread id after the process's own): it polls at up to 100 Hz
// for a while after anything ran, so it multiplies whatever woke, by a
// factor that varies with the emulated machine's load; counted alone,
// the other threads say what woke.
func switches() int {
	tasks, _ := os.ReadDir("/proc/self/task")
	ids := make([]int, 0, len(tasks))
	for _, t := range tasks {
		if id, err := strconv.Atoi(t.Name()); err == nil && id != os.Getpid() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	n := 0
	for _, id := range append([]int{os.Getpid()}, ids[min(1, len(ids)):]...) {
		s, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", id))
		if err != nil {
			continue // the thread ended
		}
		for _, l := range strings.Split(string(s), "\n") {
			var v int
			if _, err := fmt.Sscanf(l, "voluntary_ctxt_switches: %d", &v); err == nil {
				n += v
			}
		}
	}
	return n
}
