package ua

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// resendEnd says how resendUntil ended.
type resendEnd int

const (
	resendStopped resendEnd = iota // one of the stop channels was ready
	resendGaveUp                   // timing.NoAck (64·T1) passed
	resendFailed                   // send said it cannot go on
)

// resendUntil sends again after T1, then at doubling intervals (capped at
// ceiling when it is > 0: T2 for a 2xx, RFC 3261 §13.3.1.4; no cap for a
// reliable 18x, RFC 3262 §3), until one of stops is ready, send reports
// false, or timing.NoAck (64·T1) has passed since the start. A nil stop
// never is. It serves the reliable 180 awaiting its PRACK (prack.go) and
// the 2xx to a re-INVITE awaiting its ACK (reinvite.go).
func (u *UA) resendUntil(send func() bool, ceiling time.Duration, stops [3]<-chan struct{}) resendEnd {
	giveUp := u.clock.NewTimer(u.timing.NoAck)
	defer giveUp.Stop()
	interval := sip.T1
	for {
		t := u.clock.NewTimer(interval)
		select {
		case <-stops[0]:
		case <-stops[1]:
		case <-stops[2]:
		case <-giveUp.C():
			t.Stop()
			return resendGaveUp
		case <-t.C():
			if !send() {
				return resendFailed
			}
			interval *= 2
			if ceiling > 0 {
				interval = min(interval, ceiling)
			}
			continue
		}
		t.Stop()
		return resendStopped
	}
}
