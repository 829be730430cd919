package ua

import (
	"github.com/emiago/sipgo/sip"
)

// answerReinvite sends the 2xx to a re-INVITE and, over UDP, retransmits
// it (T1, doubling up to T2) until the ACK arrives (RFC 3261 §13.3.1.4):
// sipgo's transaction leaves 2xx retransmissions to the dialog, and its
// dialog layer only does them for the first INVITE. Without an ACK
// within 64·T1 the call is ended with BYE.
func (u *UA) answerReinvite(c *call, tx sip.ServerTransaction, req *sip.Request, res *sip.Response) {
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
		return // TCP/TLS: no retransmissions (§17.2.1); the ACK is not awaited
	}
	giveUp := u.clock.NewTimer(u.timing.NoAck)
	defer giveUp.Stop()
	interval := sip.T1
	for {
		t := u.clock.NewTimer(interval)
		select {
		case <-c.reinviteAck:
			t.Stop()
			return
		case <-c.done:
			t.Stop()
			return
		case <-giveUp.C():
			t.Stop()
			u.log.Warn("no ACK for the 2xx to a re-INVITE: ending the call with BYE", "call", c.id)
			c.once.Do(func() { close(c.hangup) })
			return
		case <-t.C():
		}
		if err := tx.Respond(res); err != nil {
			u.log.Debug("2xx retransmission failed", "call", c.id, "err", err)
		}
		interval = min(2*interval, sip.T2)
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
