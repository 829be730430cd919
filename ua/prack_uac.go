package ua

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// This file is reliable provisional responses as UAC (RFC 3262): our
// INVITEs say Supported: 100rel; a callee's 18x that says Require: 100rel
// is acknowledged by a PRACK naming its RSeq and our INVITE's CSeq
// (RAck), in order, once per RSeq: a retransmitted 18x (the same RSeq)
// or one out of order is not PRACKed again. An SDP in such an 18x is the
// answer to our offer, used when the 2xx carries none.

// maxEarlyDialogs bounds the forks whose reliable 18x we track per INVITE.
const maxEarlyDialogs = 16

// reliable18x follows the reliable provisional responses to one INVITE.
type reliable18x struct {
	mu     sync.Mutex
	last   map[string]uint32 // To tag → RSeq last PRACKed
	answer []byte            // SDP of the first reliable 18x that had one
}

// rseqOf returns the RSeq of a reliable provisional response (RFC 3262
// §7.1: 1 to 2³¹-1), or false when res is not one.
func rseqOf(res *sip.Response) (uint32, bool) {
	if !res.IsProvisional() || res.StatusCode == 100 || !listHas(res, "100rel", "Require") {
		return 0, false
	}
	h := res.GetHeader("RSeq")
	if h == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 31)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// next reports the RSeq to PRACK res with: the first reliable 18x of its
// early dialog, or the one right after the last PRACKed (RFC 3262 §4).
func (r *reliable18x) next(res *sip.Response) (uint32, bool) {
	n, ok := rseqOf(res)
	if !ok {
		return 0, false
	}
	tag, _ := res.To().Params.Get("tag")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]uint32{}
	}
	last, seen := r.last[tag]
	switch {
	case seen && n != last+1:
		return 0, false // a retransmission, or out of order
	case !seen && len(r.last) >= maxEarlyDialogs:
		return 0, false
	}
	r.last[tag] = n
	if len(res.Body()) > 0 && r.answer == nil {
		r.answer = append([]byte(nil), res.Body()...)
	}
	return n, true
}

// earlyAnswer returns the SDP answer a reliable 18x carried, if any.
func (r *reliable18x) earlyAnswer() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answer
}

// prack acknowledges the reliable provisional response res (RSeq n) of
// dc's INVITE: a PRACK in the early dialog, to the 18x's Contact. A
// failed PRACK is logged; the callee then decides the call's fate.
func (u *UA) prack(ctx context.Context, c *call, dc *sipgo.DialogClientSession, res *sip.Response, n uint32) {
	target := dc.InviteRequest.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(sip.PRACK, *target.Clone())
	req.AppendHeader(sip.NewHeader("RAck", fmt.Sprintf("%d %d INVITE", n, dc.InviteRequest.CSeq().SeqNo)))
	pctx, cancel := context.WithTimeout(ctx, u.timing.NoAck)
	defer cancel()
	ans, err := dc.Do(pctx, req)
	switch {
	case err != nil:
		u.log.Info("PRACK failed", "call", c.id, "rseq", n, "err", err)
	case !ans.IsSuccess():
		u.log.Info("PRACK refused", "call", c.id, "rseq", n, "code", ans.StatusCode)
	}
}
