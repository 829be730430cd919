//go:build !linux

package audio

import "time"

// fdSleep reports that no timerfd is available here: the system clock
// waits on a runtime timer (see clock_linux.go).
func fdSleep(time.Duration) bool { return false }
