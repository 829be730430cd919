//go:build !linux

package ua

import "time"

// idleTimer is a timer for the long waits of an idle device: c's own
// timer (the timerfd version is Linux's, idletimer_linux.go).
func idleTimer(c Clock, d time.Duration) Timer { return c.NewTimer(d) }

// idleTicker is a ticker (every d): a time.Ticker.
func idleTicker(d time.Duration) Timer { return sysTicker{time.NewTicker(d)} }
