package ua

import (
	"context"
	"time"
)

// endWait bounds how long a new incoming call's IncomingCall event waits
// for the CallEnded events of the calls it took the place of: a call that
// is hung up from our side sends its BYE (bounded at 5 s, byeOld) before
// its CallEnded is out.
const endWait = 6 * time.Second

// claimCall creates a call unless sip.max_calls calls are in progress
// (counted and claimed under one lock, so two simultaneous INVITEs cannot
// both take the last place).
func (u *UA) claimCall(incoming bool, peer string, caller Caller) *call {
	c := u.newCall(incoming, peer)
	c.caller = caller
	u.mu.Lock()
	defer u.mu.Unlock()
	live := 0
	for _, other := range u.calls {
		// A call that is ending no longer counts: one that has ended but
		// still releases its media (it is forgotten a moment after its
		// CallEnded event), and one whose BYE or CANCEL is being handled
		// (sipgo handles requests concurrently: a caller that hangs up and
		// dials again at once can have its INVITE handled first).
		if !other.ending() {
			live++
		} else if !other.isGone() {
			c.after = append(c.after, other)
		}
	}
	if live >= u.cfg.maxCalls() {
		return nil
	}
	u.calls[c.id] = c
	return c
}

// isGone reports whether c's CallEnded event is out.
func (c *call) isGone() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

// awaitPredecessors holds back the IncomingCall event of c until the
// calls it took the place of (ending when it was claimed) have published
// their CallEnded, at most endWait or until c's INVITE is cancelled.
// Without it a caller that hangs up and calls again at once could be
// announced before its previous call ended, and the device, still in that
// call, would turn the new one away (480).
func (u *UA) awaitPredecessors(ctx context.Context, c *call) {
	if len(c.after) == 0 {
		return
	}
	t := u.clock.NewTimer(endWait)
	defer t.Stop()
	for _, p := range c.after {
		select {
		case <-p.gone:
		case <-t.C():
			u.log.Debug("new call announced before the call it replaces ended", "call", c.id, "previous", p.id)
			return
		case <-ctx.Done():
			return
		}
	}
	c.after = nil
}
