package ua

import "time"

// NewIdleTimer returns a system-clock timer for a long wait of an idle
// process (a watchdog ping, say) that costs no more than its own wake-up
// when it fires: on Linux a timerfd in the network poller instead of a
// runtime timer, whose late epoll wake-up has the runtime's sysmon
// thread poll until it runs (see idletimer_linux.go). Stop it when done.
func NewIdleTimer(d time.Duration) Timer { return idleTimer(SystemClock{}, d) }

// NewIdleTicker is NewIdleTimer's ticker: it fires every d until
// stopped, dropping ticks its reader is not there for.
func NewIdleTicker(d time.Duration) Timer { return idleTicker(d) }

// sysTicker is a time.Ticker as a Timer; Stop reports true.
type sysTicker struct{ t *time.Ticker }

func (t sysTicker) C() <-chan time.Time { return t.t.C }
func (t sysTicker) Stop() bool          { t.t.Stop(); return true }
