package ua

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Idle timers (issue 16: an idle device makes at most one context switch
// a second).
//
// An idle Go process waiting on a runtime timer pays for it when it
// fires: the runtime's monitor thread (sysmon) sleeps until the timer's
// exact deadline, but the thread that runs the timer waits in
// epoll_pwait, whose timeout the kernel lets run late by 0.1 % (4 ms on
// a 4 s keep-alive). In between, sysmon finds the timer due and not yet
// run and polls every 20 µs: 2 to 40 voluntary switches per keep-alive,
// most of an idle device's. A timerfd in the netpoller has no such gap:
// the kernel wakes the netpoll thread on time, no runtime timer is
// pending for sysmon to wait for, and the expiry is read with a raw
// system call that does not wake sysmon either.

// fdTimer is a Timer on a Linux timerfd (CLOCK_MONOTONIC): one goroutine
// parked in the netpoller until it expires or is stopped. With a period
// it is a ticker: it fires every period after the first d, dropping
// ticks the reader is not there for, as a time.Ticker does.
type fdTimer struct {
	f      *os.File
	c      chan time.Time
	period time.Duration
	fired  atomic.Bool   // delivered (one-shot), or stopped: Stop's answer
	done   chan struct{} // closed when wait has returned
}

// newFDTimer arms a timerfd that fires after d, then every period when
// period is not 0.
func newFDTimer(d, period time.Duration) (*fdTimer, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_TIMERFD_CREATE, unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC, 0)
	if e != 0 {
		return nil, fmt.Errorf("ua: timerfd_create for a %v timer: %w", d, e)
	}
	d = max(d, time.Nanosecond) // 0 would disarm it
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds()), Interval: unix.NsecToTimespec(period.Nanoseconds())}
	if _, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
		unix.Close(int(fd))
		return nil, fmt.Errorf("ua: timerfd_settime %v: %w", d, e)
	}
	t := &fdTimer{f: os.NewFile(fd, "timerfd"), c: make(chan time.Time, 1), period: period, done: make(chan struct{})}
	rc, err := t.f.SyscallConn()
	if err != nil {
		t.f.Close()
		return nil, fmt.Errorf("ua: timerfd for a %v timer: %w", d, err)
	}
	go t.wait(rc)
	return t, nil
}

// wait parks in the netpoller until the timerfd is readable (expired) or
// closed (stopped) and delivers each expiry on c.
func (t *fdTimer) wait(rc syscall.RawConn) {
	defer close(t.done)
	defer t.f.Close()
	var buf [8]byte
	for {
		expired := false
		err := rc.Read(func(fd uintptr) bool {
			_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
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
func (t *fdTimer) C() <-chan time.Time { return t.c }

// Stop stops the timer and reports whether that kept it from firing; its
// goroutine ends.
func (t *fdTimer) Stop() bool {
	stopped := t.fired.CompareAndSwap(false, true)
	t.f.Close() // wakes wait; a second Close is harmless
	return stopped
}

// idleTimer is a timer for the long waits of an idle device (keep-alive,
// refresh, backoff): on a timerfd when c is the system clock, c's own
// timer otherwise (tests) or when no timerfd can be had.
func idleTimer(c Clock, d time.Duration) Timer {
	if _, ok := c.(SystemClock); ok {
		if t, err := newFDTimer(d, 0); err == nil {
			return t
		}
	}
	return c.NewTimer(d)
}

// idleTicker is a ticker (every d) for an idle process on a timerfd, or
// on a time.Ticker when no timerfd can be had.
func idleTicker(d time.Duration) Timer {
	if t, err := newFDTimer(d, d); err == nil {
		return t
	}
	return sysTicker{time.NewTicker(d)}
}
