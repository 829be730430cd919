package audio

import (
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/internal/fdtimer"
)

// A short WaitUntil of the system clock (a paced stand-in's frame) sleeps
// on a timerfd through Go's network poller instead of a runtime timer
// (issue 16, package fdtimer). A runtime timer bounds how long the
// runtime's sysmon thread sleeps, and every blocking-style system call
// wakes it: either way sysmon woke once per frame and spun, about 300 of
// a call's context switches per second. With the timerfd the process's
// one busy thread sleeps in epoll and nothing else wakes.
//
// The wait does not watch its context (a raw wait cannot), so only waits
// up to maxFDWait take this path: a cancelled context is seen at most that
// late. Longer waits, and waits when every pooled timerfd is in use, take a
// runtime timer as before.
const (
	maxFDWait   = 50 * time.Millisecond
	maxFDTimers = 4 // timerfds the process keeps (one per paced device in use)
)

// fdSleepers are the idle timerfd sleepers; fdSleeperCount counts those
// made.
var (
	fdSleepers     = make(chan *fdtimer.Sleeper, maxFDTimers)
	fdSleeperCount atomic.Int32
)

// fdSleep waits d on a pooled timerfd and reports whether it could; false
// means the caller waits on a runtime timer instead.
func fdSleep(d time.Duration) bool {
	if d > maxFDWait {
		return false
	}
	var s *fdtimer.Sleeper
	select {
	case s = <-fdSleepers:
	default:
		if fdSleeperCount.Add(1) > maxFDTimers {
			fdSleeperCount.Add(-1)
			return false
		}
		var err error
		if s, err = fdtimer.NewSleeper(); err != nil {
			fdSleeperCount.Add(-1)
			return false
		}
	}
	if err := s.Sleep(d); err != nil { // not expected; this timerfd is not trusted again
		s.Close()
		fdSleeperCount.Add(-1)
		return false
	}
	fdSleepers <- s
	return true
}
