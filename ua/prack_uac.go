package ua

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
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
// dc's INVITE: a PRACK in the early dialog, to the 18x's Contact. A PRACK
// challenged (401/407) is sent once more with auth's credentials. A
// failed PRACK is logged; the callee then decides the call's fate.
func (u *UA) prack(ctx context.Context, c *call, dc *sipgo.DialogClientSession, res *sip.Response, n uint32, auth credentials) {
	target := dc.InviteRequest.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	newPrack := func() *sip.Request {
		req := sip.NewRequest(sip.PRACK, *target.Clone())
		req.AppendHeader(sip.NewHeader("RAck", fmt.Sprintf("%d %d INVITE", n, dc.InviteRequest.CSeq().SeqNo)))
		return req
	}
	pctx, cancel := context.WithTimeout(ctx, u.timing.NoAck)
	defer cancel()
	ans, err := dc.Do(pctx, newPrack())
	if err == nil && (ans.StatusCode == 401 || ans.StatusCode == 407) && auth.pass != "" {
		req := newPrack()
		if authorize(req, ans, auth.user, auth.pass) {
			ans, err = dc.Do(pctx, req)
		}
	}
	switch {
	case err != nil:
		u.log.Info("PRACK failed", "call", c.id, "rseq", n, "err", err)
	case !ans.IsSuccess():
		u.log.Info("PRACK refused", "call", c.id, "rseq", n, "code", ans.StatusCode)
	}
}

// authorize adds credentials answering the digest challenge of res (a
// 401 or 407) to req; it reports whether it could.
func authorize(req *sip.Request, res *sip.Response, user, pass string) bool {
	name, hdr := "Authorization", "WWW-Authenticate"
	if res.StatusCode == 407 {
		name, hdr = "Proxy-Authorization", "Proxy-Authenticate"
	}
	h := res.GetHeader(hdr)
	if h == nil {
		return false
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return false
	}
	chal.Algorithm = strings.ToUpper(chal.Algorithm)
	cred, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: req.Recipient.Addr(),
		Username: user, Password: pass, Count: 1})
	if err != nil {
		return false
	}
	req.AppendHeader(sip.NewHeader(name, cred.String()))
	return true
}

// maxAnswerRounds bounds how often waitAnswer calls WaitAnswer again.
const maxAnswerRounds = 16

// waitAnswer is dc.WaitAnswer without sipgo's limit of responses: sipgo
// v1.7.2's WaitAnswer gives up after 10 responses to one INVITE ("more
// than 10 responses received"), and a callee sending reliable 18x (each
// PRACKed, RFC 3262), or a queue sending 183 after 183, may send more
// before its 200. The transaction still runs then, so WaitAnswer is
// called again to read on (at most maxAnswerRounds times, about 160
// responses; ctx, the no-answer bound, holds throughout).
func waitAnswer(ctx context.Context, dc *sipgo.DialogClientSession, opts sipgo.AnswerOptions) error {
	for round := 1; ; round++ {
		err := dc.WaitAnswer(ctx, opts)
		if err == nil || round >= maxAnswerRounds || ctx.Err() != nil ||
			!strings.Contains(err.Error(), "more than 10 responses") {
			return err
		}
	}
}
