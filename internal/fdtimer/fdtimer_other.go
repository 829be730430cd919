//go:build !linux

package fdtimer

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// errNoTimerfd is made once: a caller may ask every frame.
var errNoTimerfd = fmt.Errorf("fdtimer: timerfd_create on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Timer is a timer on a Linux timerfd; there is none here.
type Timer struct{}

// New reports that there is no timerfd here: the caller takes a runtime
// timer.
func New(d, period time.Duration) (*Timer, error) {
	return nil, fmt.Errorf("fdtimer: a %v timer: %w", d, errNoTimerfd)
}

// C delivers nothing.
func (*Timer) C() <-chan time.Time { return nil }

// Stop reports false.
func (*Timer) Stop() bool { return false }

// Sleeper is a wait on a Linux timerfd; there is none here.
type Sleeper struct{}

// NewSleeper reports that there is no timerfd here.
func NewSleeper() (*Sleeper, error) { return nil, errNoTimerfd }

// Sleep reports that there is no timerfd here.
func (*Sleeper) Sleep(time.Duration) error { return errNoTimerfd }

// Close does nothing.
func (*Sleeper) Close() error { return nil }

// Rearm is a re-armed timer on a Linux timerfd; there is none here.
type Rearm struct{}

// NewRearm reports that there is no timerfd here: the caller takes a
// runtime timer per wait.
func NewRearm() (*Rearm, error) { return nil, errNoTimerfd }

// C delivers nothing.
func (*Rearm) C() <-chan time.Time { return nil }

// Reset does nothing.
func (*Rearm) Reset(time.Duration) {}

// Stop reports false.
func (*Rearm) Stop() bool { return false }

// Close does nothing.
func (*Rearm) Close() error { return nil }
