package ua

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// answerReinvite sends the 2xx to a re-INVITE and returns what then
// waits for its ACK: over UDP it retransmits the 2xx (T1, doubling up to
// T2) until the ACK arrives (RFC 3261 §13.3.1.4): sipgo's transaction
// leaves 2xx retransmissions to the dialog, and its dialog layer only
// does them for the first INVITE. Without an ACK within 64·T1 the call
// is ended with BYE.
func (u *UA) answerReinvite(c *call, tx sip.ServerTransaction, req *sip.Request, res *sip.Response) (awaitACK func()) {
	cseq := req.CSeq().SeqNo
	c.mu.Lock()
	c.reinviteCSeq = cseq
	c.mu.Unlock()
	select { // a stale signal of an earlier re-INVITE
	case <-c.reinviteAck:
	default:
	}
	u.send(tx, res)
	if sip.IsReliable(req.Transport()) {
		return func() {} // TCP/TLS: no retransmissions (§17.2.1); the ACK is not awaited
	}
	return func() { u.retransmit2xx(c, tx, res) }
}

// retransmit2xx resends res until the re-INVITE's ACK, c's end, or 64·T1.
func (u *UA) retransmit2xx(c *call, tx sip.ServerTransaction, res *sip.Response) {
	send := func() bool {
		if err := tx.Respond(res); err != nil {
			u.log.Debug("2xx retransmission failed", "call", c.id, "err", err)
		}
		return true
	}
	if u.resendUntil(send, sip.T2, [3]<-chan struct{}{c.reinviteAck, c.done}) == resendGaveUp {
		u.log.Warn("no ACK for the 2xx to a re-INVITE: ending the call with BYE", "call", c.id)
		c.once.Do(func() { close(c.hangup) })
	}
}

// ackArrived notes an ACK in c's dialog: the one of a re-INVITE we
// answered stops that 2xx's retransmissions.
func (c *call) ackArrived(req *sip.Request) {
	cs := req.CSeq()
	if cs == nil {
		return
	}
	c.mu.Lock()
	match := c.reinviteCSeq != 0 && cs.SeqNo == c.reinviteCSeq
	c.mu.Unlock()
	if match {
		select {
		case c.reinviteAck <- struct{}{}:
		default:
		}
	}
}

// answeredLag bounds how long an in-dialog request waits for its call to
// be marked answered: the peer may re-INVITE right after its ACK, while
// the call's goroutine is still starting media.
const answeredLag = 2 * time.Second

// awaitAnswered reports whether c is answered, waiting answeredLag at most.
func (u *UA) awaitAnswered(c *call) bool {
	t := u.clock.NewTimer(answeredLag)
	defer t.Stop()
	select {
	case <-c.answered:
		return c.State() == CallAnswered
	case <-c.done:
		return false
	case <-t.C():
		return false
	}
}
