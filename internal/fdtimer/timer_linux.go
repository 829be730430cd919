package fdtimer

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Timer is a timer on a timerfd: one goroutine parked in the netpoller
// until it expires or is stopped. With a period it is a ticker: it fires
// every period after the first d, dropping ticks the reader is not there
// for, as a time.Ticker does.
type Timer struct {
	f      *os.File
	c      chan time.Time
	period time.Duration
	fired  atomic.Bool   // delivered (one-shot), or stopped: Stop's answer
	done   chan struct{} // closed when wait has returned
}

// New arms a timerfd that fires after d (at once when d <= 0), then every
// period when period is not 0. Stop it when done with it.
func New(d, period time.Duration) (*Timer, error) {
	spec := unix.ItimerSpec{
		Value:    unix.NsecToTimespec(max(d, time.Nanosecond).Nanoseconds()), // 0 would disarm it
		Interval: unix.NsecToTimespec(period.Nanoseconds()),
	}
	f, rc, err := open(fmt.Sprintf("a %v timer", d), &spec)
	if err != nil {
		return nil, err
	}
	t := &Timer{f: f, c: make(chan time.Time, 1), period: period, done: make(chan struct{})}
	go t.wait(rc)
	return t, nil
}

// wait parks in the netpoller until the timerfd is readable (expired) or
// closed (stopped) and delivers each expiry on c.
func (t *Timer) wait(rc syscall.RawConn) {
	defer close(t.done)
	defer t.f.Close()
	var n uint64
	for {
		expired := false
		err := rc.Read(func(fd uintptr) bool {
			e := readExpiry(fd, &n)
			expired = e == 0
			return e != unix.EAGAIN && e != unix.EINTR
		})
		if err != nil || !expired {
			return
		}
		if t.period > 0 {
			select {
			case t.c <- time.Now():
			default: // the reader is behind: the tick is dropped
			}
			continue
		}
		if t.fired.CompareAndSwap(false, true) {
			t.c <- time.Now()
		}
		return
	}
}

// C delivers the expiry.
func (t *Timer) C() <-chan time.Time { return t.c }

// Stop stops the timer and reports whether that kept it from firing; its
// goroutine ends.
func (t *Timer) Stop() bool {
	stopped := t.fired.CompareAndSwap(false, true)
	t.f.Close() // wakes wait; a second Close is harmless
	return stopped
}
