//go:build !linux

package ua

import "time"

// idleTicker is a ticker (every d): a time.Ticker.
func idleTicker(d time.Duration) Timer { return sysTicker{time.NewTicker(d)} }
