package ua

import (
	"time"

	"github.com/sipbell/sipbell/internal/fdtimer"
)

// Idle timers (issue 16: an idle device makes at most one context switch
// a second) wait on a timerfd in the network poller, not on a runtime
// timer, whose firing in an idle process has the runtime's sysmon thread
// poll until epoll's late wake-up runs it: see package fdtimer.

// idleTicker is a ticker (every d) for an idle process on a timerfd, or
// on a time.Ticker when no timerfd can be had.
func idleTicker(d time.Duration) Timer {
	if t, err := fdtimer.New(d, d); err == nil {
		return t
	}
	return sysTicker{time.NewTicker(d)}
}
