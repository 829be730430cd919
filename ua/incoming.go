package ua

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// onInvite handles a new INVITE (or a re-INVITE within a dialog). The
// whole incoming call runs in this handler's goroutine.
func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			u.onReinvite(req, tx)
			return
		}
	}
	if !u.precheck(req, tx) {
		return
	}
	caller, ok := u.admit(req, tx)
	if !ok {
		return
	}
	if h := req.GetHeader("Replaces"); h != nil {
		u.onPickup(req, tx, caller, h.Value()) // pickup.go
		return
	}
	u.respond(tx, req, 100)
	c := u.claimCall(true, fromURI(req), caller)
	if c == nil {
		u.logStranger(req, "incoming call refused: busy", "from", fromURI(req))
		u.respond(tx, req, 486)
		return
	}
	if !u.track() {
		c.end(503, "shutting down")
		u.respond(tx, req, 503)
		return
	}
	defer u.wg.Done()
	u.incoming(c, req, tx)
}

// track adds a call goroutine to the wait group unless Run is stopping.
func (u *UA) track() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stopping {
		return false
	}
	u.wg.Add(1)
	return true
}

// contactFor returns our Contact for a dialog carried over transport:
// the registered (rport-corrected) contact of an account on that
// transport, so that in-dialog requests come back through the connection
// we registered on (needed for TLS, which we do not listen for), else our
// listening address.
func (u *UA) contactFor(user, transport string) sip.ContactHeader {
	u.mu.Lock()
	regs := u.regs
	u.mu.Unlock()
	for _, r := range regs {
		if r.tr() == transport && transport != "udp" {
			return sip.ContactHeader{Address: r.contactSnapshot(), Params: sip.NewParams()}
		}
	}
	return u.listenContact(user, transport)
}

// listenContact is our Contact at the listening address.
func (u *UA) listenContact(user, transport string) sip.ContactHeader {
	uri := sip.Uri{Scheme: "sip", User: user, Host: u.host, Port: u.listenPort(transport)}
	if transport != "udp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: transport}}
	}
	return sip.ContactHeader{Address: uri, Params: sip.NewParams()}
}

// prepareMedia opens media for c and returns the SDP state. The media
// takes the spare sockets (mediaspare.go); an incoming call binds the
// next spare once its answer is out and acknowledged (incoming), an
// outgoing one at once: nobody waits for its INVITE the same way.
func (u *UA) prepareMedia(ctx context.Context, c *call) (*media.SDP, error) {
	if !c.incoming {
		defer u.prepareSpare()
	}
	local, err := u.mediaHandler().Open(ctx, u.mediaIP(), MediaCall{ID: c.id,
		OnDTMF: func(d byte) {
			ev := c.event(EventDTMF)
			ev.Digit = d
			u.emit(ev)
		},
		OnTimeout: func() { c.once.Do(func() { close(c.hangup) }) },
	})
	if err != nil {
		return nil, err
	}
	s := media.NewSDP(u.mediaCfg, local)
	c.mu.Lock()
	c.sdp = s
	c.mu.Unlock()
	return s, nil
}

// readInvite makes the server dialog of call c from its INVITE; on failure
// it answers (500, or 400 for an INVITE sipgo cannot take: what names it
// in the call's end reason) and ends c.
func (u *UA) readInvite(c *call, req *sip.Request, tx sip.ServerTransaction, what string) (*sipgo.DialogServerSession, bool) {
	transport := strings.ToLower(req.Transport())
	client, err := u.client(transport)
	if err != nil {
		u.respond(tx, req, 500)
		c.end(500, err.Error())
		return nil, false
	}
	dua := &sipgo.DialogUA{Client: client, ContactHDR: u.contactFor(u.cfg.User, transport)}
	ds, err := dua.ReadInvite(req, sentTx{ServerTransaction: tx, sent: c.markTaken})
	if err != nil {
		u.respond(tx, req, 400)
		c.end(400, "bad "+what+": "+err.Error())
		return nil, false
	}
	return ds, true
}

func (u *UA) incoming(c *call, req *sip.Request, tx sip.ServerTransaction) {
	ds, ok := u.readInvite(c, req, tx, "INVITE")
	if !ok {
		return
	}
	defer ds.Close()
	c.mu.Lock()
	c.ds, c.dlgID = ds, ds.ID
	c.dialog = serverDialog(ds)
	c.mu.Unlock()

	st, ok := u.uasTimer(req)
	if !ok {
		u.final(tx, ds, 422, sip.NewHeader("Min-SE", secs(u.cfg.MinSE)))
		c.end(422, "session interval too small")
		return
	}
	c.mu.Lock()
	c.st = st
	c.mu.Unlock()

	ctx := ds.Context()
	s, err := u.prepareMedia(ctx, c)
	spared := false
	spare := func() { // the next call's sockets, once this one's answer is out
		if !spared {
			spared = true
			u.prepareSpare()
		}
	}
	defer spare()
	if err != nil {
		u.final(tx, ds, 503)
		c.end(503, err.Error())
		return
	}
	// An INVITE without SDP (late offer) gets our offer in the 200 and
	// brings the answer in the ACK.
	lateOffer := len(req.Body()) == 0
	var answer []byte
	var neg media.Negotiated
	if err = s.SetSRTP(u.srtpIncoming(c, req)); err == nil && lateOffer { // srtp.go
		answer, err = s.Offer(media.SendRecv)
	} else if err == nil {
		answer, neg, err = s.Answer(req.Body(), media.SendRecv)
	}
	if err != nil {
		u.final(tx, ds, 488, u.notAcceptable(req.Body(), err))
		c.end(488, err.Error())
		return
	}
	u.awaitPredecessors(ctx, c)
	in := c.event(EventIncomingCall)
	in.State, in.Caller, in.AlertInfo = CallIncoming, c.caller, alertInfo(req)
	u.emit(in)
	if err := u.ringing(c, ds, req); err != nil { // prack.go
		c.end(487, "cancelled by caller")
		return
	}
	c.setState(CallRinging, 180, "")
	code, reason := u.await(c, ctx)
	if code == 200 && requires100rel(req) {
		c.markTaken() // the answer waits for the PRACK: Answer need not
		code, reason = u.awaitPrack(ctx, c, req)
	}
	if code != 200 {
		if code != 487 {
			u.final(tx, ds, code)
		}
		c.markTaken()
		c.end(code, reason)
		return
	}
	if !u.answer(c, ds, tx, answer) {
		return
	}
	spare()
	if lateOffer {
		var body []byte
		select {
		case body = <-c.ackBody:
		default:
		}
		if neg, err = s.ParseAnswer(body); err != nil {
			u.log.Warn("late offer: unusable SDP answer in the ACK: hanging up", "call", c.id, "err", err)
			bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = ds.Bye(bctx)
			cancel()
			c.end(488, "unusable SDP answer in ACK: "+err.Error())
			return
		}
	}
	c.mu.Lock()
	c.neg, c.hasNeg = neg, true
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("media start failed", "call", c.id, "err", err)
	}
	c.setState(CallAnswered, 200, "answered")
	u.established(c, ctx, ds.Bye)
}

// sentTx is an incoming INVITE's transaction as its dialog sees it: once
// the dialog's 2xx has been handed to the transport, sent is called (the
// call's Answer returns then: call.markTaken).
type sentTx struct {
	sip.ServerTransaction
	sent func()
}

// Respond sends res and reports a 2xx as sent.
func (t sentTx) Respond(res *sip.Response) error {
	err := t.ServerTransaction.Respond(res)
	if res.IsSuccess() {
		t.sent()
	}
	return err
}

// final sends a non-2xx final answer to the INVITE. The transaction
// retransmits it and absorbs the ACK; unlike the dialog's Respond it does
// not block until the ACK, so shutdown stays prompt.
func (u *UA) final(tx sip.ServerTransaction, ds *sipgo.DialogServerSession, code int, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(ds.InviteRequest, code, StatusText(code), nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	u.send(tx, res)
}

// await waits for the answer decision: auto-answer timer, the device,
// CANCEL, ring timeout or hang-up. It returns 200 to answer.
func (u *UA) await(c *call, ctx context.Context) (int, string) {
	if u.cfg.AutoAnswer && u.cfg.AutoAnswerDelay <= 0 {
		return 200, "auto-answer" // at once: no timer to wait for
	}
	var auto <-chan time.Time
	if u.cfg.AutoAnswer {
		t := u.clock.NewTimer(u.cfg.AutoAnswerDelay)
		defer t.Stop()
		auto = t.C()
	}
	ring := u.clock.NewTimer(u.cfg.RingTimeout)
	defer ring.Stop()
	select {
	case <-auto:
		return 200, "auto-answer"
	case code := <-c.decide:
		if code == 200 {
			return 200, "answered"
		}
		return code, "rejected: " + Status(code).String()
	case <-ctx.Done():
		return 487, "cancelled by caller"
	case <-ring.C():
		return 480, "ring timeout"
	case <-c.hangup:
		return 480, "hung up before answer"
	}
}

// answer sends the 2xx and waits for the ACK; without one it sends BYE
// after the no-ACK timer (RFC 3261 §13.3.1.4). It reports success.
func (u *UA) answer(c *call, ds *sipgo.DialogServerSession, tx sip.ServerTransaction, sdp []byte) bool {
	res := sip.NewSDPResponseFromRequest(ds.InviteRequest, sdp)
	for _, h := range timerHeaders(c.timer(), true) {
		res.AppendHeader(h)
	}
	done := make(chan error, 1)
	go func() { done <- ds.WriteResponse(res) }()
	noAck := u.clock.NewTimer(u.timing.NoAck)
	defer noAck.Stop()
	select {
	case err := <-done:
		if err == nil || c.sawBye() {
			// A BYE read before the ACK (each is handled on its own
			// goroutine, and a caller may hang up at once) ends the wait
			// for the ACK: the caller had our 200, so the call was
			// answered, and established sees its end at once.
			return true
		}
		if ds.Context().Err() != nil {
			c.end(487, "cancelled by caller")
		} else {
			c.end(500, "answer failed: "+err.Error())
		}
		return false
	case <-noAck.C():
		u.log.Warn("no ACK for 200 OK: ending the call with BYE", "call", c.id)
		tx.Terminate()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ds.Bye(ctx); err != nil {
			u.log.Debug("BYE after no ACK failed", "err", err)
		}
		<-done
		c.end(408, "no ACK")
		return false
	}
}

// established holds an answered call until either side ends it, or the
// maximum call length is reached. A transfer (REFER) replaces the dialog
// and the call goes on with the new one.
func (u *UA) established(c *call, dlg context.Context, bye func(context.Context) error) {
	var maxLen <-chan time.Time
	if u.cfg.MaxCallLength > 0 {
		t := u.clock.NewTimer(u.cfg.MaxCallLength)
		defer t.Stop()
		maxLen = t.C()
	}
	expired, stopWatch := u.watchSession(dlg, c)
	defer func() { stopWatch() }()
	var reason string
	for reason == "" {
		select {
		case <-dlg.Done():
			c.end(0, "BYE from peer")
			return
		case <-c.hangup:
			reason = "hung up"
		case <-maxLen:
			reason = "maximum call length reached"
		case reason = <-expired:
			u.log.Info("ending the call", "call", c.id, "reason", reason)
		case r := <-c.refer:
			t, ok := u.transfer(c, r)
			if !ok {
				continue
			}
			byeOld(u, c, bye)
			u.takeOver(c, t, r.target.String())
			stopWatch()
			dlg, bye = t.dc.Context(), t.dc.Bye
			expired, stopWatch = u.watchSession(dlg, c)
		}
	}
	byeOld(u, c, bye)
	c.end(0, reason)
}

// watchSession runs the session timer watch of c while dlg lasts, until
// stopped.
func (u *UA) watchSession(dlg context.Context, c *call) (<-chan string, context.CancelFunc) {
	ctx, stop := context.WithCancel(dlg)
	return u.sessionWatch(ctx, c), stop
}

// byeOld ends a dialog of c with BYE (bounded).
func byeOld(u *UA, c *call, bye func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := bye(ctx); err != nil {
		u.log.Info("BYE failed", "call", c.id, "err", err)
	}
}

// onReinvite answers an INVITE within a dialog: hold, unhold, session
// refresh or a new media address.
func (u *UA) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := u.inDialog(req)
	if c == nil || !u.awaitAnswered(c) {
		u.respond(tx, req, 481)
		return
	}
	if se, _, ok := sessionExpires(req); ok && se < u.cfg.MinSE && c.timer().interval > 0 {
		u.respond(tx, req, 422, sip.NewHeader("Min-SE", secs(u.cfg.MinSE)))
		return
	}
	c.mu.Lock()
	s := c.sdp
	uas := c.ds != nil
	offerDir, answerDir := c.localDir(), c.answerDir()
	c.mu.Unlock()
	var body []byte
	var err error
	var neg media.Negotiated
	if len(req.Body()) == 0 {
		body, err = s.Offer(offerDir) // offer in 200, answer in ACK
	} else {
		body, neg, err = s.Answer(req.Body(), answerDir)
	}
	if err != nil {
		u.respond(tx, req, 488, u.notAcceptable(req.Body(), err))
		return
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	for _, h := range timerHeaders(c.refreshHeard(req), uas) {
		res.AppendHeader(h)
	}
	transport := strings.ToLower(req.Transport())
	ct := u.contactFor(u.cfg.User, transport)
	res.AppendHeader(&ct)
	// The 2xx leaves before the hold is published: whoever reacts with a
	// re-INVITE of its own finds this transaction done.
	defer u.answerReinvite(c, tx, req, res)()
	if len(req.Body()) == 0 {
		return
	}
	u.peerMedia(c, neg)
}

// peerMedia applies a new negotiation the peer offered (re-INVITE or
// UPDATE) and publishes a hold or resume.
func (u *UA) peerMedia(c *call, neg media.Negotiated) {
	c.mu.Lock()
	c.neg, c.hasNeg = neg, true
	held := !neg.Direction.Sends()
	changed := held != c.held
	c.held = held
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("media update failed", "call", c.id, "err", err)
	}
	if changed {
		reason := "resumed by peer"
		if held {
			reason = "held by peer"
		}
		u.log.Info("call", "id", c.id, "held", held)
		ev := c.event(EventCallState)
		ev.State, ev.Held, ev.Reason = CallAnswered, held, reason
		u.emit(ev)
	}
}

// sanitize makes s safe inside a quoted header value.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' {
			return '\''
		}
		return r
	}, s)
}
