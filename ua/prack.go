package ua

import (
	"context"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// This file is reliable provisional responses as UAS (RFC 3262): a
// caller whose INVITE says Require: 100rel gets its 180 Ringing reliably
// (Require: 100rel, RSeq), retransmitted over UDP until the caller's
// PRACK, and the call is answered only once that PRACK came (64·T1 at
// most; then 500). Callers that do not require it get a plain 180.

// rseq is the RSeq of our one reliable provisional response per call.
const rseq = 1

// requires100rel reports whether req says Require: 100rel.
func requires100rel(req *sip.Request) bool { return listHas(req, "100rel", "Require") }

// ringing sends 180 to the INVITE: reliable when the caller requires it.
func (u *UA) ringing(c *call, ds *sipgo.DialogServerSession, req *sip.Request) error {
	if !requires100rel(req) {
		return ds.Respond(180, StatusText(180), nil)
	}
	hdrs := []sip.Header{sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", strconv.Itoa(rseq))}
	if err := ds.Respond(180, StatusText(180), nil, hdrs...); err != nil {
		return err
	}
	if !sip.IsReliable(req.Transport()) {
		go u.retransmit18x(c, ds, hdrs)
	}
	return nil
}

// retransmit18x resends the reliable 180 (T1, doubling) until the PRACK,
// the call's answer or end, or 64·T1.
func (u *UA) retransmit18x(c *call, ds *sipgo.DialogServerSession, hdrs []sip.Header) {
	send := func() bool { return ds.Respond(180, StatusText(180), nil, hdrs...) == nil }
	u.resendUntil(send, 0, [3]<-chan struct{}{c.pracked, c.answered, c.done})
}

// awaitPrack waits for the PRACK of our reliable 180 before a call that
// is to be answered is: it returns 200 to answer, or the code and reason
// to end the call with (no PRACK in 64·T1: 500; CANCEL: 487; hung up: 480).
func (u *UA) awaitPrack(ctx context.Context, c *call, req *sip.Request) (int, string) {
	if !requires100rel(req) {
		return 200, "answered"
	}
	t := u.clock.NewTimer(u.timing.NoAck)
	defer t.Stop()
	select {
	case <-c.pracked:
		return 200, "answered"
	case <-ctx.Done():
		return 487, "cancelled by caller"
	case <-c.hangup:
		return 480, "hung up before answer"
	case <-t.C():
		u.log.Info("no PRACK for the reliable 180: refusing the call", "call", c.id)
		return 500, "no PRACK for the reliable 180"
	}
}

// onPrack answers a PRACK (RFC 3262 §3): 200 when its RAck names our
// reliable 180 of the call's INVITE, else 481.
func (u *UA) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	c := u.inDialog(req)
	if c == nil || c.ds == nil {
		u.respond(tx, req, 481)
		return
	}
	h := req.GetHeader("RAck")
	f := []string{}
	if h != nil {
		f = strings.Fields(h.Value())
	}
	c.mu.Lock()
	cseq := c.ds.InviteRequest.CSeq().SeqNo
	c.mu.Unlock()
	if len(f) != 3 || f[0] != strconv.Itoa(rseq) || f[1] != strconv.FormatUint(uint64(cseq), 10) || !strings.EqualFold(f[2], "INVITE") {
		u.respond(tx, req, 481)
		return
	}
	u.respond(tx, req, 200)
	c.prackOnce.Do(func() { close(c.pracked) })
}
