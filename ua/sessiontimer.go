package ua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// sessionTimer is a call's negotiated session timer (RFC 4028). The zero
// value means the call has none.
type sessionTimer struct {
	interval  time.Duration // session interval; 0: no timer
	weRefresh bool          // we send the refreshes, else we expect them
	update    bool          // the peer takes UPDATE (refresh without SDP)
	peerTimer bool          // the peer said Supported: timer
}

// headered is a request or response.
type headered interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// maxSessionExpires bounds a session interval a peer may ask for.
const maxSessionExpires = 24 * time.Hour

// sessionExpires reads Session-Expires (compact form x): the interval and
// the refresher parameter ("uac", "uas" or "").
func sessionExpires(m headered) (time.Duration, string, bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || n <= 0 {
		return 0, "", false
	}
	d := time.Duration(n) * time.Second
	if d > maxSessionExpires || n > int(maxSessionExpires/time.Second) {
		d = maxSessionExpires
	}
	refresher := ""
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return d, refresher, true
}

// minSE reads Min-SE (0 when absent or malformed).
func minSE(m headered) time.Duration {
	h := m.GetHeader("Min-SE")
	if h == nil {
		return 0
	}
	val, _, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || n <= 0 || n > int(maxSessionExpires/time.Second) {
		return 0
	}
	return time.Duration(n) * time.Second
}

// listHas reports whether a comma-separated header (all its instances,
// and its compact form when given) holds token.
func listHas(m headered, token string, names ...string) bool {
	for _, name := range names {
		for _, h := range m.GetHeaders(name) {
			for _, v := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(v), token) {
					return true
				}
			}
		}
	}
	return false
}

func supportsTimer(m headered) bool { return listHas(m, "timer", "Supported", "k") }
func allowsUpdate(m headered) bool  { return listHas(m, "UPDATE", "Allow") }

// secs formats d as whole seconds for a header.
func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// uasTimer negotiates the session timer of an incoming INVITE (RFC 4028
// §9). ok false means the interval asked for is below our minimum: the
// INVITE is answered 422 with Min-SE.
func (u *UA) uasTimer(req *sip.Request) (st sessionTimer, ok bool) {
	if u.cfg.SessionExpires == 0 {
		return sessionTimer{}, true
	}
	se, refresher, has := sessionExpires(req)
	if has && se < u.cfg.MinSE {
		return sessionTimer{}, false
	}
	floor := max(u.cfg.MinSE, minSE(req))
	st = sessionTimer{interval: u.cfg.SessionExpires, update: allowsUpdate(req), peerTimer: supportsTimer(req)}
	if has && se < st.interval {
		st.interval = se
	}
	st.interval = max(st.interval, floor)
	switch refresher {
	case "uac":
		st.weRefresh = false
	case "uas":
		st.weRefresh = true
	default:
		// The caller refreshes when it can (it knows the timer), else we do.
		st.weRefresh = !st.peerTimer
	}
	return st, true
}

// timerHeaders are the session timer headers of our 2xx to an INVITE or
// UPDATE that we answer as the dialog's UAS (uas) or UAC (!uas) side.
func timerHeaders(st sessionTimer, weAreUAS bool) []sip.Header {
	hdrs := []sip.Header{sip.NewHeader("Supported", "timer")}
	if st.interval == 0 {
		return hdrs
	}
	// refresher names the side of the original dialog.
	who := "uac"
	if st.weRefresh == weAreUAS {
		who = "uas"
	}
	hdrs = append(hdrs, sip.NewHeader("Session-Expires", secs(st.interval)+";refresher="+who))
	if st.peerTimer {
		hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
	}
	return hdrs
}

// uacTimer reads the session timer from the 2xx to our INVITE (RFC 4028
// §7.2). Without Session-Expires in it we refresh ourselves at the
// interval we asked for: a dead peer still ends the call.
func (u *UA) uacTimer(res *sip.Response, asked time.Duration) sessionTimer {
	if u.cfg.SessionExpires == 0 {
		return sessionTimer{}
	}
	st := sessionTimer{interval: asked, weRefresh: true, update: allowsUpdate(res), peerTimer: supportsTimer(res)}
	if se, refresher, ok := sessionExpires(res); ok {
		st.interval = se
		st.weRefresh = refresher != "uas"
		st.peerTimer = true
	}
	return st
}

// refreshHeard takes the session timer of a refresh (UPDATE or re-INVITE)
// from the peer and restarts the expiry watch. It returns the timer to
// put in the 2xx.
func (c *call) refreshHeard(req *sip.Request) sessionTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.interval == 0 {
		return c.st
	}
	if se, refresher, ok := sessionExpires(req); ok {
		c.st.interval = max(se, c.u.cfg.MinSE)
		// The sender of this request is its UAC.
		c.st.weRefresh = refresher == "uas"
		c.st.peerTimer = true
	}
	select {
	case c.refreshed <- struct{}{}:
	default:
	}
	return c.st
}

func (c *call) timer() sessionTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// expiryWatch is how long we wait for the peer's refresh: the interval
// less min(32 s, interval/3) (RFC 4028 §10).
func expiryWatch(interval time.Duration) time.Duration {
	return interval - min(32*time.Second, interval/3)
}

// sessionWatch refreshes the session or watches for the peer's refreshes
// until ctx ends. The returned channel yields why the session ended when
// a refresh failed or the peer's refresh did not come.
func (u *UA) sessionWatch(ctx context.Context, c *call) <-chan string {
	out := make(chan string, 1)
	if c.timer().interval == 0 {
		return out
	}
	go func() {
		for {
			st := c.timer()
			wait := expiryWatch(st.interval)
			if st.weRefresh {
				wait = st.interval / 2
			}
			t := u.clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-c.refreshed:
				t.Stop()
				continue
			case <-t.C():
			}
			if !st.weRefresh {
				out <- "session timer expired"
				return
			}
			if err := u.refresh(ctx, c); err != nil {
				if ctx.Err() != nil {
					return
				}
				u.log.Info("session refresh failed: ending the call", "call", c.id, "err", err)
				out <- "session refresh failed"
				return
			}
		}
	}()
	return out
}

// errRefresh is wrapped by a session refresh the peer refused or did not
// answer.
var errRefresh = errors.New("session refresh failed")

// refresh sends one session refresh: UPDATE without SDP when the peer
// takes UPDATE, else a re-INVITE with our current SDP. A 422 is retried
// once with the peer's Min-SE.
func (u *UA) refresh(ctx context.Context, c *call) error {
	for range 2 {
		st := c.timer()
		method := sip.INVITE
		if st.update {
			method = sip.UPDATE
		}
		var res *sip.Response
		var err error
		if method == sip.INVITE {
			res, err = u.reinvite(ctx, c) // with our SDP, ACKed, answer applied
		} else {
			req := sip.NewRequest(method, c.remoteTarget())
			req.AppendHeader(sip.NewHeader("Supported", "timer"))
			req.AppendHeader(sip.NewHeader("Session-Expires", secs(st.interval)+";refresher=uac"))
			req.AppendHeader(sip.NewHeader("Min-SE", secs(u.cfg.MinSE)))
			rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
			res, err = c.do(rctx, req)
			cancel()
		}
		if err != nil {
			return fmt.Errorf("refresh %s with %s: %w: %w", c.id, method, errRefresh, err)
		}
		switch {
		case res.IsSuccess():
			c.mu.Lock()
			if se, refresher, ok := sessionExpires(res); ok {
				c.st.interval = max(se, u.cfg.MinSE)
				c.st.weRefresh = refresher != "uas"
			}
			c.mu.Unlock()
			return nil
		case res.StatusCode == 422 && minSE(res) > st.interval:
			c.mu.Lock()
			c.st.interval = minSE(res)
			c.mu.Unlock()
		case method == sip.UPDATE && (res.StatusCode == 405 || res.StatusCode == 501):
			c.mu.Lock()
			c.st.update = false
			c.mu.Unlock()
		case res.StatusCode == 408 || res.StatusCode == 481:
			return fmt.Errorf("refresh %s with %s: %w: %d", c.id, method, errRefresh, res.StatusCode)
		default:
			// The dialog lives on (RFC 3261 §14.1); the next refresh tries again.
			u.log.Info("session refresh refused", "call", c.id, "method", method, "code", res.StatusCode)
			return nil
		}
	}
	return nil
}

// reinviteAnswer applies the SDP answer of our re-INVITE's 2xx.
func (u *UA) reinviteAnswer(c *call, res *sip.Response) {
	c.mu.Lock()
	s := c.sdp
	c.mu.Unlock()
	if s == nil || len(res.Body()) == 0 {
		return
	}
	neg, err := s.ParseAnswer(res.Body())
	if err != nil {
		u.log.Info("re-INVITE: unusable SDP answer", "call", c.id, "err", err)
		return
	}
	c.mu.Lock()
	c.neg, c.hasNeg = neg, true
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("media update failed", "call", c.id, "err", err)
	}
}

// currentOffer is a new offer with the call's current direction.
func (c *call) currentOffer() ([]byte, error) {
	c.mu.Lock()
	s, dir := c.sdp, c.localDir()
	c.mu.Unlock()
	if s == nil {
		return nil, errors.New("no media")
	}
	return s.Offer(dir)
}

// remoteTarget is the peer's Contact: the Request-URI of our in-dialog
// requests.
func (c *call) remoteTarget() sip.Uri {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ds != nil {
		if h := c.ds.InviteRequest.Contact(); h != nil {
			return h.Address
		}
		return c.ds.InviteRequest.From().Address
	}
	if h := c.dc.InviteResponse.Contact(); h != nil {
		return h.Address
	}
	return c.dc.InviteRequest.Recipient
}

// do sends an in-dialog request and waits for its final answer.
func (c *call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	c.mu.Lock()
	ds, dc := c.ds, c.dc
	c.mu.Unlock()
	if ds != nil {
		return ds.Do(ctx, req)
	}
	return dc.Do(ctx, req)
}

// ackReinvite acknowledges the 2xx of our re-INVITE.
func (c *call) ackReinvite(inv *sip.Request, res *sip.Response) {
	ack := sip.NewRequest(sip.ACK, inv.Recipient)
	cs := inv.CSeq()
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: cs.SeqNo, MethodName: sip.ACK})
	if to := res.To(); to != nil {
		ack.AppendHeader(sip.HeaderClone(to))
	}
	if from := inv.From(); from != nil {
		ack.AppendHeader(sip.HeaderClone(from))
	}
	c.mu.Lock()
	ds, dc := c.ds, c.dc
	c.mu.Unlock()
	var err error
	if ds != nil {
		err = ds.WriteRequest(ack)
	} else {
		err = dc.WriteRequest(ack)
	}
	if err != nil {
		c.u.log.Info("ACK of re-INVITE failed", "call", c.id, "err", err)
	}
}

// onUpdate answers an UPDATE inside a dialog (RFC 3311): a session
// refresh, with or without a new SDP offer.
func (u *UA) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := u.inDialog(req)
	if c == nil || !u.awaitAnswered(c) {
		u.respond(tx, req, 481)
		return
	}
	if !u.sameParty(c, req) {
		u.refuseInDialog(req, tx)
		return
	}
	if se, _, ok := sessionExpires(req); ok && se < u.cfg.MinSE && c.timer().interval > 0 {
		u.respond(tx, req, 422, sip.NewHeader("Min-SE", secs(u.cfg.MinSE)))
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		c.mu.Lock()
		s, dir := c.sdp, c.answerDir()
		c.mu.Unlock()
		var neg media.Negotiated
		var err error
		if body, neg, err = s.Answer(req.Body(), dir); err != nil {
			u.respond(tx, req, 488, u.notAcceptable(req.Body(), err))
			return
		}
		u.peerMedia(c, neg)
	}
	st := c.refreshHeard(req)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if body != nil {
		res = sip.NewSDPResponseFromRequest(req, body)
	}
	c.mu.Lock()
	uas := c.ds != nil
	c.mu.Unlock()
	for _, h := range timerHeaders(st, uas) {
		res.AppendHeader(h)
	}
	ct := u.contactFor(u.cfg.User, strings.ToLower(req.Transport()))
	res.AppendHeader(&ct)
	u.send(tx, res)
}
