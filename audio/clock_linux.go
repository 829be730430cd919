package audio

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A short WaitUntil of the system clock (a paced stand-in's frame) sleeps
// on a timerfd through Go's network poller instead of a runtime timer, and
// arms and reads it with raw system calls (issue 16). A runtime timer bounds
// how long the runtime's sysmon thread sleeps, and every blocking-style
// system call wakes it: either way sysmon woke once per frame and spun,
// about 300 of a call's context switches per second. With the timerfd the
// process's one busy thread sleeps in epoll and nothing else wakes.
//
// The wait does not watch its context (a raw wait cannot), so only waits
// up to maxFDWait take this path: a cancelled context is seen at most that
// late. Longer waits, and waits when every pooled timerfd is in use, take a
// runtime timer as before.
const (
	maxFDWait   = 50 * time.Millisecond
	maxFDTimers = 4 // timerfds the process keeps (one per paced device in use)
)

// fdTimers are the idle timerfd waiters; fdTimerCount counts those made.
var (
	fdTimers     = make(chan *fdTimer, maxFDTimers)
	fdTimerCount atomic.Int32
)

// fdTimer is a one-shot timerfd registered with the network poller.
type fdTimer struct {
	f     *os.File
	rc    syscall.RawConn
	spec  unix.ItimerSpec
	armed bool          // this wait's timer is set
	n     uint64        // the expiration count read back
	errn  syscall.Errno // the wait's system call error
	read  func(fd uintptr) bool
}

// newFDTimer makes a non-blocking timerfd on CLOCK_MONOTONIC (the clock
// of Go's monotonic readings).
func newFDTimer() (*fdTimer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("audio: timerfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audio: timerfd: %w", err)
	}
	t := &fdTimer{f: f, rc: rc}
	t.read = t.readExpiry // made once: a method value per wait would allocate
	return t, nil
}

// readExpiry is the poller's callback. Its first call arms the timer
// (after the poller has started to watch for it: an expiry cannot be
// missed) and waits; later ones read the expiration count without
// blocking and report whether the wait is over.
func (t *fdTimer) readExpiry(fd uintptr) bool {
	if !t.armed {
		t.armed = true
		_, _, e := syscall.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&t.spec)), 0, 0, 0)
		t.errn = e
		return e != 0
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&t.n)), 8)
	if e == syscall.EAGAIN {
		return false
	}
	t.errn = e
	return true
}

// sleep waits d (> 0) on the timerfd.
func (t *fdTimer) sleep(d time.Duration) error {
	t.spec.Value = unix.NsecToTimespec(int64(d))
	t.armed, t.errn = false, 0
	if err := t.rc.Read(t.read); err != nil {
		return fmt.Errorf("audio: timerfd wait %v: %w", d, err)
	}
	if t.errn != 0 {
		return fmt.Errorf("audio: timerfd wait %v: %w", d, t.errn)
	}
	return nil
}

// fdSleep waits d on a pooled timerfd and reports whether it could; false
// means the caller waits on a runtime timer instead.
func fdSleep(d time.Duration) bool {
	if d > maxFDWait {
		return false
	}
	var t *fdTimer
	select {
	case t = <-fdTimers:
	default:
		if fdTimerCount.Add(1) > maxFDTimers {
			fdTimerCount.Add(-1)
			return false
		}
		var err error
		if t, err = newFDTimer(); err != nil {
			fdTimerCount.Add(-1)
			return false
		}
	}
	err := t.sleep(d)
	if err != nil { // not expected; this timerfd is not trusted again
		t.f.Close()
		fdTimerCount.Add(-1)
		return false
	}
	fdTimers <- t
	return true
}
