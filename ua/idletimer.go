package ua

import "time"

// NewIdleTicker returns a system-clock ticker for the periodic wake-up
// of an idle process (the systemd watchdog's ping) that costs no more
// than its own wake-up each time: on Linux a timerfd in the network
// poller instead of a runtime timer, whose late epoll wake-up has the
// runtime's sysmon thread poll until it runs (see package fdtimer). It
// fires every d until stopped, dropping ticks its reader is not there
// for. (The registration's own waits are idle slots: idleslot.go.)
func NewIdleTicker(d time.Duration) Timer { return idleTicker(d) }

// sysTicker is a time.Ticker as a Timer; Stop reports true.
type sysTicker struct{ t *time.Ticker }

func (t sysTicker) C() <-chan time.Time { return t.t.C }
func (t sysTicker) Stop() bool          { t.t.Stop(); return true }
