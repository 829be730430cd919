//go:build linux

package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// keypadDiag is what the keypad process saw, for the check to say and a
// failed check to explain itself: how late it took the rows' changes
// (from the kernel's timestamp of each change to its reading of the
// event), how long the scanner held each single row, how many times it
// saw the rows all driven low again, and the last changes of the wires
// with their times (CLOCK_MONOTONIC, the test process's clock too).
type keypadDiag struct {
	steps   int
	events  int
	idles   int         // "i" written
	rows    int         // "r" written
	lags    [4]int      // events by lag: lagBounds
	maxLag  int64       // ns
	late    [3][2]int64 // the latest events: their times and lags, ns
	batch   int         // the most events one wake found
	wakeLag int64       // the most time from a change to the wake, ns
	missed  int         // rows driven and released between two wakes
	held    [2]int64    // the shortest and longest time a single row was selected, ns
	cur     wireState   // the rows now and since when
	hist    [400]wireState
	n       int // states recorded (hist is a ring)
}

// lagBounds are the upper bounds of keypadDiag.lags' classes but the last.
var lagBounds = [...]int64{1e6, 5e6, 40e6}

// lagged notes how late a row's change event (at, ns) was read (lag),
// and how much of that passed before this process woke (wake).
func (d *keypadDiag) lagged(at, lag, wake int64) {
	ns := lag
	d.events++
	d.maxLag = max(d.maxLag, ns)
	d.wakeLag = max(d.wakeLag, wake)
	for i := range d.late {
		if ns > d.late[i][1] {
			copy(d.late[i+1:], d.late[i:len(d.late)-1])
			d.late[i] = [2]int64{at, ns}
			break
		}
	}
	i := 0
	for i < len(lagBounds) && ns >= lagBounds[i] {
		i++
	}
	d.lags[i]++
}

// wireState is the wires as one step saw them.
type wireState struct {
	at   int64
	rows [4]int8 // -1 driven low, +1 driven high, 0 released
	down [12]bool
	low  [3]bool // the columns' pulls
}

// monoNow is CLOCK_MONOTONIC in ns.
func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// saw records one step's view of the wires (no allocation) and, when a
// single row stops being the one driven low, how long it was.
func (d *keypadDiag) saw(rows [4]int, down [12]bool, low [3]bool) {
	now := monoNow()
	d.steps++
	w := wireState{at: now, down: down, low: low}
	for i, r := range rows {
		w.rows[i] = int8(r)
	}
	if d.cur.rows != w.rows {
		if d.cur.single() >= 0 && d.cur.at != 0 {
			held := now - d.cur.at
			if d.held[0] == 0 || held < d.held[0] {
				d.held[0] = held
			}
			d.held[1] = max(d.held[1], held)
		}
		d.cur = w
	}
	if d.n > 0 {
		prev := d.hist[(d.n-1)%len(d.hist)]
		prev.at = now
		if prev == w {
			return
		}
	}
	d.hist[d.n%len(d.hist)] = w
	d.n++
}

// single returns the one row driven low while the others are released,
// or -1.
func (w wireState) single() int {
	sel := -1
	for r, l := range w.rows {
		switch {
		case l < 0 && sel < 0:
			sel = r
		case l != 0:
			return -1
		}
	}
	return sel
}

// String writes the wires as rows|keys down|columns: "L---|2|^v^" is row
// 1 driven low, the others released, key 2 down and column 2 pulled low.
func (w wireState) String() string {
	var b strings.Builder
	for _, r := range w.rows {
		b.WriteByte("L-H"[r+1])
	}
	b.WriteByte('|')
	for k, d := range w.down {
		if d {
			b.WriteByte(matrixKeys[k])
		}
	}
	b.WriteByte('|')
	for _, l := range w.low {
		b.WriteByte("^v"[btoi(l)])
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// summary says the counts, lags and row times.
func (d *keypadDiag) summary() string {
	late := ""
	for _, l := range d.late {
		late += fmt.Sprintf(" %.1fms@%.1f", float64(l[1])/1e6, float64(l[0])/1e6)
	}
	late += fmt.Sprintf(" (wake %.1fms)", float64(d.wakeLag)/1e6)
	return fmt.Sprintf("missed rows=%d steps=%d events=%d (at most %d a wake) idles=%d rows=%d lag(<1,5,40ms,more)=%v max%s; single rows held %.1f-%.1fms",
		d.missed, d.steps, d.events, d.batch, d.idles, d.rows, d.lags, late, float64(d.held[0])/1e6, float64(d.held[1])/1e6)
}

// dump writes one line to stdout: "state SUMMARY T=WIRES ..." with the
// recorded changes, oldest first (T in ms of CLOCK_MONOTONIC).
func (d *keypadDiag) dump() error {
	var b strings.Builder
	fmt.Fprintf(&b, "state %s", d.summary())
	for i := max(0, d.n-len(d.hist)); i < d.n; i++ {
		w := d.hist[i%len(d.hist)]
		fmt.Fprintf(&b, " %.1f=%s", float64(w.at)/1e6, w)
	}
	b.WriteByte('\n')
	_, err := unix.Write(1, []byte(b.String()))
	return err
}

// diary is the check's side of the story: what it did and heard, with
// CLOCK_MONOTONIC times (ms), bounded.
type diary struct {
	mu    sync.Mutex
	lines []string
}

// add notes one thing the check did or heard.
func (d *diary) add(what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.lines) == 64 {
		d.lines = slices.Delete(d.lines, 0, 16)
	}
	d.lines = append(d.lines, fmt.Sprintf("%.1f %s", float64(monoNow())/1e6, what))
}

// String is the diary, oldest first.
func (d *diary) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "; ")
}

// explain asks the keypad process what it saw and returns that with the
// check's diary.
func (k *keypad) explain() string {
	k.diary.add("asking the keypad")
	if _, err := k.in.Write([]byte("??")); err != nil {
		return fmt.Sprintf("keypad: %v; check: %s", err, &k.diary)
	}
	timeout := time.After(2 * time.Second)
	for {
		select {
		case s, ok := <-k.out:
			if !ok {
				return fmt.Sprintf("keypad ended: %s; check: %s", k.errs.String(), &k.diary)
			}
			if strings.HasPrefix(s, "state ") {
				return fmt.Sprintf("keypad %s; check: %s", s, &k.diary)
			}
		case <-timeout:
			return fmt.Sprintf("keypad silent; check: %s", &k.diary)
		}
	}
}
