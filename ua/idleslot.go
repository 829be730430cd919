package ua

import (
	"time"

	"github.com/sipbell/sipbell/internal/fdtimer"
)

// idleSlot is one of a registration loop's recurring waits: the refresh
// wait, the keep-alive, the connection watch, the keep-alive check's
// deadline. On the system clock it is one fdtimer.Rearm for the loop's
// life, armed again for each wait: a timerfd per wait was closed after
// each, and close(2) is a blocking-style system call that wakes the
// runtime's sysmon (issue 16: two per keep-alive check). On another clock
// (tests), or where there is no timerfd, each wait takes a new timer of
// the clock. Only the loop's goroutine arms it; close it when the loop
// ends.
type idleSlot struct {
	c     Clock
	fd    *fdtimer.Rearm
	tried bool  // fd was asked for
	t     Timer // the current wait's timer, without fd
}

// arm starts a wait of d, stopping the slot's previous one, and returns
// its timer.
func (s *idleSlot) arm(d time.Duration) Timer {
	if !s.tried {
		s.tried = true
		if _, ok := s.c.(SystemClock); ok {
			if fd, err := fdtimer.NewRearm(); err == nil {
				s.fd = fd
			}
		}
	}
	if s.fd != nil {
		s.fd.Reset(d)
		return s.fd
	}
	stopTimer(s.t)
	s.t = s.c.NewTimer(d)
	return s.t
}

// close ends the slot for good.
func (s *idleSlot) close() {
	stopTimer(s.t)
	if s.fd != nil {
		s.fd.Close()
	}
}

// loopTimers are a registration loop's idle slots.
type loopTimers struct {
	wait, keepAlive, watch, deadline idleSlot
}

func newLoopTimers(c Clock) *loopTimers {
	return &loopTimers{wait: idleSlot{c: c}, keepAlive: idleSlot{c: c}, watch: idleSlot{c: c}, deadline: idleSlot{c: c}}
}

func (l *loopTimers) close() {
	for _, s := range []*idleSlot{&l.wait, &l.keepAlive, &l.watch, &l.deadline} {
		s.close()
	}
}
