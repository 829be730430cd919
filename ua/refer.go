package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// This file is the transferee's side of a call transfer (RFC 3515 REFER,
// RFC 3892 Referred-By, RFC 3891 Replaces): the party in the call (the
// resident's phone) asks us to call someone else; we do, report progress
// with NOTIFY message/sipfrag, and on success the new dialog takes the
// call's place (same Call handle, new peer) and the old one gets BYE.

// referral is one REFER the call follows.
type referral struct {
	target    sip.Uri      // Refer-To without its headers and method
	hdrs      []sip.Header // for the new INVITE: Referred-By, Replaces
	id        uint32       // the REFER's CSeq: the id of its implicit subscription
	transport string       // of the REFER, for our NOTIFYs' Contact
}

// errBadRefer marks a REFER that cannot be followed as sent (400).
var errBadRefer = errors.New("unusable REFER")

// maxReferHeader bounds the header values a REFER makes us copy.
const maxReferHeader = 512

// onRefer answers a REFER within a call: 202 and the call follows it, or
// 481 (no such call), 403 (not the party in the call, or not trusted),
// 400 (unusable Refer-To), 491 (a transfer is under way).
func (u *UA) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := u.inDialog(req) // also from a transfer target right behind its ACK
	if c == nil || !u.awaitAnswered(c) {
		u.respond(tx, req, 481)
		return
	}
	if why, ok := u.mayRefer(c, req); !ok {
		src, _ := netip.ParseAddrPort(req.Source())
		u.refused(req, Caller{Claimed: fromURI(req), Source: src}, "REFER: "+why)
		u.respond(tx, req, 403)
		return
	}
	r, err := parseReferral(req)
	if err != nil {
		u.log.Info("REFER refused", "call", c.id, "err", err)
		u.respond(tx, req, 400)
		return
	}
	if !c.startTransfer() {
		u.respond(tx, req, 491)
		return
	}
	u.log.Info("call transfer asked", "call", c.id, "to", r.target.String(), "by", fromURI(req))
	ct := u.contactFor(u.cfg.User, r.transport)
	u.respond(tx, req, 202, &ct)
	c.refer <- r // room: startTransfer admits one at a time
}

// takeOverLag bounds how long a request on a transfer's answered dialog
// waits for it to become its call's: the final NOTIFY to the referrer
// (4 s) and the BYE of the old dialog (5 s) come first.
const takeOverLag = 10 * time.Second

// awaitTakeOver finds the call whose transfer answered a dialog of ids
// (its ACK is out) while that dialog is not yet the call's, and waits
// until it is (takeOverLag at most). It reports whether the transfer is
// over (its dialog the call's, or failed): false when there is no such
// call, or the call ended or the wait was too long first.
func (u *UA) awaitTakeOver(ids [2]string) bool {
	var c *call
	var took chan struct{}
	u.mu.Lock()
	for _, x := range u.calls {
		x.mu.Lock()
		if x.tookOver != nil && slices.ContainsFunc(x.answeredIDs, func(id string) bool { return slices.Contains(ids[:], id) }) {
			c, took = x, x.tookOver
		}
		x.mu.Unlock()
	}
	u.mu.Unlock()
	if c == nil {
		return false
	}
	t := u.clock.NewTimer(takeOverLag)
	defer t.Stop()
	select {
	case <-took:
		return true
	case <-c.done:
	case <-t.C():
	}
	return false
}

// mayRefer decides whether req may transfer c: it must come from the
// party in the call, and that party must be trusted: relayed by an
// account's registrar/proxy, a verified caller (sip.callers), or the
// party this device called itself. It says why not.
func (u *UA) mayRefer(c *call, req *sip.Request) (string, bool) {
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return "no source address", false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if u.Trusted(src) {
		return "", true // our registrar/proxy relayed it within the call's dialog
	}
	c.mu.Lock()
	incoming, caller, dc := c.incoming && !c.transferred, c.caller, c.dc
	c.mu.Unlock()
	if incoming {
		if !u.sameParty(c, req) {
			return "not from the caller's address", false
		}
		if !caller.Verified() {
			return "the caller's identity is not verified", false
		}
		return "", true
	}
	if dc == nil {
		return "not in an established dialog", false
	}
	for _, host := range []string{c.remoteTarget().Host, dc.InviteRequest.Recipient.Host} {
		for _, ip := range lookupIPs(host) {
			if ip.Unmap() == src.Addr() {
				return "", true
			}
		}
	}
	return "not from the called party's address", false
}

// parseReferral reads the Refer-To (exactly one SIP URI; method INVITE
// only) and the headers the new INVITE carries: the REFER's Referred-By
// (or its From), and the Replaces of an attended transfer.
func parseReferral(req *sip.Request) (referral, error) {
	hs := append(req.GetHeaders("Refer-To"), req.GetHeaders("r")...)
	if len(hs) != 1 {
		return referral{}, fmt.Errorf("%w: %d Refer-To headers", errBadRefer, len(hs))
	}
	v := strings.TrimSpace(hs[0].Value())
	if i, j := strings.IndexByte(v, '<'), strings.LastIndexByte(v, '>'); i >= 0 && j > i {
		v = v[i+1 : j]
	}
	var uri sip.Uri
	if len(v) > maxReferHeader*2 {
		return referral{}, fmt.Errorf("%w: Refer-To too long", errBadRefer)
	}
	if err := sip.ParseUri(v, &uri); err != nil {
		return referral{}, fmt.Errorf("%w: Refer-To %q: %v", errBadRefer, v, err)
	}
	if s := strings.ToLower(uri.Scheme); s != "sip" && s != "sips" {
		return referral{}, fmt.Errorf("%w: Refer-To scheme %q", errBadRefer, uri.Scheme)
	}
	if m, ok := uri.UriParams.Get("method"); ok && !strings.EqualFold(m, "INVITE") {
		return referral{}, fmt.Errorf("%w: Refer-To method %s", errBadRefer, m)
	}
	r := referral{id: req.CSeq().SeqNo, transport: strings.ToLower(req.Transport())}
	for _, h := range uri.Headers {
		if !strings.EqualFold(h.K, "Replaces") {
			continue // other embedded headers are not ours to send
		}
		rep, err := url.PathUnescape(h.V)
		if err != nil || len(rep) > maxReferHeader || !strings.Contains(rep, "to-tag=") || !strings.Contains(rep, "from-tag=") {
			return referral{}, fmt.Errorf("%w: Replaces %q", errBadRefer, h.V)
		}
		r.hdrs = append(r.hdrs, sip.NewHeader("Replaces", rep), sip.NewHeader("Require", "replaces"))
	}
	uri.Headers = nil
	if uri.UriParams != nil {
		uri.UriParams.Remove("method")
	}
	r.target = uri
	by := ""
	if h := req.GetHeader("Referred-By"); h != nil {
		by = h.Value()
	} else if h := req.GetHeader("b"); h != nil {
		by = h.Value()
	} else if f := req.From(); f != nil {
		by = "<" + f.Address.String() + ">"
	}
	if by != "" && len(by) <= maxReferHeader {
		r.hdrs = append(r.hdrs, sip.NewHeader("Referred-By", by))
	}
	return r, nil
}

// withoutRequire is hdrs less Require (and so less the Replaces it asks
// the target to honour).
func withoutRequire(hdrs []sip.Header) []sip.Header {
	var out []sip.Header
	for _, h := range hdrs {
		if !strings.EqualFold(h.Name(), "Require") && !strings.EqualFold(h.Name(), "Replaces") {
			out = append(out, h)
		}
	}
	return out
}

// startTransfer claims the call for one transfer; false when one is
// under way already.
func (c *call) startTransfer() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transferring {
		return false
	}
	c.transferring = true
	return true
}

// isTransferred reports whether a transfer gave the call a new dialog.
func (c *call) isTransferred() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transferred
}

func (c *call) endTransfer() {
	c.mu.Lock()
	c.transferring = false
	c.mu.Unlock()
}

// transferred is a new dialog that took a call's place.
type transferred struct {
	dc  *sipgo.DialogClientSession
	neg media.Negotiated
}

// transfer follows r (in the call's goroutine): it INVITEs the target
// while the old dialog goes on, and reports progress to the referrer. It
// returns the new, answered dialog, or false when the call stays as it
// was (the referrer may take it back).
func (u *UA) transfer(c *call, r referral) (transferred, bool) {
	// A failed transfer is over before its final NOTIFY goes out: the
	// referrer may send its next REFER the moment it has that NOTIFY,
	// and must get 202, not 491.
	took := make(chan struct{})
	c.mu.Lock()
	c.tookOver = took // closed by takeOver, or here on failure
	c.mu.Unlock()
	fail := func(code int) (transferred, bool) {
		c.mu.Lock()
		c.answeredIDs = nil // a dialog it answered is hung up: not the call's
		c.mu.Unlock()
		close(took)
		c.endTransfer()
		u.notifyRefer(c, r, code, true)
		return transferred{}, false
	}
	u.notifyRefer(c, r, 100, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ring := u.clock.NewTimer(u.cfg.RingTimeout)
	defer ring.Stop()
	go func() {
		select {
		case <-ring.C():
		case <-c.hangup:
		case <-ctx.Done():
		}
		cancel()
	}()
	c.mu.Lock()
	s := c.sdp
	c.mu.Unlock()
	if err := s.SetSRTP(u.srtpOutgoing([]sip.Uri{r.target})); err != nil { // srtp.go: the new leg's
		u.log.Warn("transfer not followed", "call", c.id, "err", err)
		return fail(488)
	}
	offer, err := s.Offer(media.SendRecv)
	if err != nil {
		return fail(500)
	}
	a := u.invite(ctx, c, r.target, offer, r.hdrs...)
	if a.dc == nil && a.code == 420 && ctx.Err() == nil {
		// The target does not do Replaces (baresip 1.0.0 says 420): it
		// gets the call all the same, as a new call, and the consultation
		// call is left to the referrer to end.
		u.log.Info("call transfer: the target does not support Replaces: calling it without", "call", c.id, "to", r.target.String())
		a = u.invite(ctx, c, r.target, offer, withoutRequire(r.hdrs)...)
	}
	if a.dc == nil {
		u.log.Info("call transfer failed: the call goes on", "call", c.id, "to", r.target.String(), "code", a.code, "reason", a.reason)
		return fail(max(a.code, 400))
	}
	neg, err := s.ParseAnswer(a.dc.InviteResponse.Body())
	if err != nil {
		u.log.Warn("call transfer: unusable SDP answer", "call", c.id, "to", r.target.String(), "err", err)
		bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.dc.Bye(bctx)
		bcancel()
		return fail(488)
	}
	u.notifyRefer(c, r, 200, true)
	c.endTransfer()
	return transferred{dc: a.dc, neg: neg}, true
}

// notifyRefer reports the transfer's progress on the call's current
// (old) dialog: message/sipfrag with our status line (RFC 3515 §2.4.5).
func (u *UA) notifyRefer(c *call, r referral, code int, final bool) {
	req := sip.NewRequest(sip.NOTIFY, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Event", fmt.Sprintf("refer;id=%d", r.id)))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	ct := u.contactFor(u.cfg.User, r.transport)
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody(fmt.Appendf(nil, "SIP/2.0 %d %s\r\n", code, StatusText(code)))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	res, err := c.do(ctx, req)
	switch {
	case err != nil:
		u.log.Debug("NOTIFY of transfer progress failed", "call", c.id, "err", err)
	case !res.IsSuccess():
		u.log.Debug("NOTIFY of transfer progress refused", "call", c.id, "code", res.StatusCode)
	}
}

// takeOver makes t the call's dialog, with to as its peer.
func (u *UA) takeOver(c *call, t transferred, to string) {
	c.mu.Lock()
	c.ds, c.dc, c.dlgID = nil, t.dc, t.dc.ID
	c.dialog = clientDialog(t.dc.InviteRequest, t.dc.InviteResponse)
	c.neg, c.hasNeg = t.neg, true
	c.peer, c.held, c.localHold, c.transferred = to, false, false, true
	// The answered dialog is the call's now, found by dlgID: a call
	// transferred again and again keeps no list of the dialogs it had.
	c.answeredIDs = nil
	close(c.tookOver) // requests that came on t's dialog before now find it
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, t.neg); err != nil {
		u.log.Warn("media start failed", "call", c.id, "err", err)
	}
	u.log.Info("call transferred", "call", c.id, "to", to)
	ev := c.event(EventCallState)
	ev.State, ev.Code, ev.Reason, ev.Transferred = CallAnswered, 200, "transferred", true
	u.emit(ev)
}
