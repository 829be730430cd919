package ua

import (
	"context"
	"sync/atomic"

	"github.com/emiago/sipgo"
)

// hopWatch gives up an INVITE to a server DNS gave while more of them
// remain (RFC 3263 §4.3) when that server has sent no response at all,
// not even 100 Trying, within nextHopTimeout: a dead server, a black hole
// over UDP, then costs that instead of the whole transaction timeout
// (64·T1, 32 s) before the next is tried. A server that answered anything
// keeps the INVITE for as long as the call rings; the last server left
// gets the full time.
type hopWatch struct {
	heard  atomic.Bool // a response came
	gaveUp atomic.Bool // nextHopTimeout passed without one
	stop   func()
}

// watchHop returns the context to send and await the INVITE with, and its
// watch; call stop when the INVITE is done.
func (u *UA) watchHop(ctx context.Context) (context.Context, *hopWatch) {
	w := &hopWatch{stop: func() {}}
	if h, ok := ctx.Value(hopKey{}).(routedHop); !ok || !h.more {
		return ctx, w
	}
	hctx, cancel := context.WithCancelCause(ctx)
	t := u.clock.NewTimer(nextHopTimeout)
	done := make(chan struct{})
	go func() {
		select {
		case <-t.C():
			if !w.heard.Load() {
				w.gaveUp.Store(true)
				// Without this cause sipgo waits for the transaction to
				// time out before it gives the INVITE up (it may not
				// CANCEL before a provisional response).
				cancel(sipgo.WaitAnswerForceCancelErr)
			}
		case <-done:
		}
	}()
	w.stop = func() {
		t.Stop()
		close(done)
		cancel(nil)
	}
	return hctx, w
}
