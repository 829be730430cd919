package fdtimer

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sleeper is a blocking wait on one timerfd, reused wait after wait
// without allocating (a paced audio source waits every frame). It is not
// safe for concurrent use: one goroutine sleeps on it at a time.
//
// A sleep does not watch a context (a raw wait cannot): keep its waits
// short.
type Sleeper struct {
	f     *os.File
	rc    syscall.RawConn
	spec  unix.ItimerSpec
	armed bool          // this wait's timer is set
	n     uint64        // the expiration count read back
	errn  syscall.Errno // the wait's system call error
	read  func(fd uintptr) bool
}

// NewSleeper makes a Sleeper. Close it when done with it.
func NewSleeper() (*Sleeper, error) {
	f, rc, err := open("a sleeper", nil)
	if err != nil {
		return nil, err
	}
	s := &Sleeper{f: f, rc: rc}
	s.read = s.readExpiry // made once: a method value per wait would allocate
	return s, nil
}

// readExpiry is the poller's callback. Its first call arms the timer
// (after the poller has started to watch for it: an expiry cannot be
// missed) and waits; later ones read the expiration count without
// blocking and report whether the wait is over.
func (s *Sleeper) readExpiry(fd uintptr) bool {
	if !s.armed {
		s.armed = true
		s.errn = setTime(fd, &s.spec)
		return s.errn != 0
	}
	e := readExpiry(fd, &s.n)
	if e == syscall.EAGAIN {
		return false
	}
	s.errn = e
	return true
}

// Sleep waits d (> 0) on the timerfd. After an error the Sleeper is not
// to be trusted again: close it.
func (s *Sleeper) Sleep(d time.Duration) error {
	s.spec.Value = unix.NsecToTimespec(int64(d))
	s.armed, s.errn = false, 0
	if err := s.rc.Read(s.read); err != nil {
		return fmt.Errorf("fdtimer: timerfd wait %v: %w", d, err)
	}
	if s.errn != 0 {
		return fmt.Errorf("fdtimer: timerfd wait %v: %w", d, s.errn)
	}
	return nil
}

// Close closes the timerfd.
func (s *Sleeper) Close() error { return s.f.Close() }
