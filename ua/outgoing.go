package ua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// Call places a call to targets (SIP URIs such as "sip:bob@pbx:5060",
// "bob@pbx", or a bare user "bob" at the first account's domain). In
// Hunt mode the targets are tried in order; in Parallel mode all ring at
// once and the first to answer wins. Call returns at once with the
// handle; progress comes as events. ctx only bounds the start.
func (u *UA) Call(ctx context.Context, targets []string, mode DialMode) (Call, error) {
	select {
	case <-u.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("ua: call before the UA runs: %w", ctx.Err())
	}
	if len(targets) == 0 {
		return nil, errors.New("ua: call: no target")
	}
	uris := make([]sip.Uri, 0, len(targets))
	for _, t := range targets {
		uri, err := u.targetURI(t)
		if err != nil {
			return nil, err
		}
		uris = append(uris, uri)
	}
	c := u.claimCall(false, uris[0].String(), Caller{})
	if c == nil {
		return nil, ErrBusy
	}
	if !u.track() {
		c.end(503, "shutting down")
		return nil, errors.New("ua: call: the UA is shutting down")
	}
	go func() {
		defer u.wg.Done()
		u.outgoing(c, uris, mode)
	}()
	return c, nil
}

// targetURI parses a call target (see parseTarget).
func (u *UA) targetURI(t string) (sip.Uri, error) { return parseTarget(t, u.cfg.Accounts) }

// newAOR returns the account's address of record, sip:user@domain[:port].
func newAOR(a Account) sip.Uri {
	var sv server
	if a.Domain != "" {
		sv, _ = parseServer(a.Domain, "udp")
	} else {
		sv, _ = parseServer(a.Registrar, a.transport())
	}
	return sip.Uri{Scheme: "sip", User: a.User, Host: sv.Host, Port: sv.Port}
}

// attempt is the outcome of one INVITE to one target.
type attempt struct {
	dc       *sipgo.DialogClientSession
	code     int
	reason   string
	redirect []sip.Uri
	minSE    time.Duration // of a 422
	req      *sip.Request  // the INVITE answered with 422
	early    []byte        // the SDP answer of a reliable 18x (prack_uac.go)
}

func (u *UA) outgoing(c *call, targets []sip.Uri, mode DialMode) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := u.prepareMedia(ctx, c)
	if err != nil {
		c.end(0, "media: "+err.Error())
		return
	}
	if err := s.SetSRTP(u.srtpOutgoing(targets)); err != nil { // srtp.go
		u.log.Warn("call not placed", "call", c.id, "err", err)
		c.end(0, err.Error())
		return
	}
	offer, err := s.Offer(media.SendRecv)
	if err != nil {
		c.end(0, "sdp offer: "+err.Error())
		return
	}
	ring := u.clock.NewTimer(u.cfg.RingTimeout)
	defer ring.Stop()
	go func() {
		select {
		case <-ring.C():
			c.setReason("ring timeout")
			cancel()
		case <-c.hangup:
			c.setReason("cancelled")
			cancel()
		case <-c.pickup:
			cancel() // the legs are cancelled; the pickup takes the call (pickup.go)
		case <-ctx.Done():
		}
	}()
	var a attempt
	if mode == Parallel && len(targets) > 1 {
		a = u.parallel(ctx, c, targets, offer)
	} else {
		a = u.hunt(ctx, c, targets, offer)
	}
	if c.isPickedUp() {
		c.handOver(a.dc != nil)
		if a.dc == nil {
			return
		}
	}
	if a.dc == nil {
		reason := c.takeReason()
		if reason == "" {
			reason = a.reason
		}
		c.end(a.code, reason)
		return
	}
	answer := a.dc.InviteResponse.Body()
	if len(answer) == 0 {
		answer = a.early // the answer came in a reliable 18x (RFC 3262 §5)
	}
	neg, err := s.ParseAnswer(answer)
	if err != nil {
		u.log.Warn("unusable SDP answer: hanging up", "call", c.id, "err", err)
		bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.dc.Bye(bctx)
		bcancel()
		c.end(488, "unusable SDP answer: "+err.Error())
		return
	}
	c.mu.Lock()
	c.neg, c.hasNeg, c.dc, c.dlgID = neg, true, a.dc, a.dc.ID
	c.dialog = clientDialog(a.dc.InviteRequest, a.dc.InviteResponse)
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("media start failed", "call", c.id, "err", err)
	}
	c.setState(CallAnswered, a.code, "answered")
	u.established(c, a.dc.Context(), a.dc.Bye)
}

// hunt tries targets in order, following redirects (bounded, loop-safe).
// 4xx, 5xx and timeouts move on to the next target; 6xx stops.
func (u *UA) hunt(ctx context.Context, c *call, targets []sip.Uri, offer []byte) attempt {
	seen := map[string]bool{}
	queue := append([]sip.Uri(nil), targets...)
	redirects := 0
	last := attempt{code: 480, reason: "no target answered"}
	for len(queue) > 0 && ctx.Err() == nil {
		t := queue[0]
		queue = queue[1:]
		if seen[t.String()] {
			continue
		}
		seen[t.String()] = true
		a := u.invite(ctx, c, t, offer)
		if a.dc != nil {
			return a
		}
		last = a
		switch {
		case a.code >= 300 && a.code < 400:
			if redirects >= u.timing.MaxRedirects {
				last.reason = fmt.Sprintf("%s: too many redirects", a.reason)
				continue
			}
			redirects++
			queue = append(append([]sip.Uri(nil), a.redirect...), queue...)
		case a.code >= 600:
			return a
		}
	}
	return last
}

// parallel rings every target at once; the first 2xx wins and the rest
// are cancelled. A 6xx from any target stops them all.
func (u *UA) parallel(ctx context.Context, c *call, targets []sip.Uri, offer []byte) attempt {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan attempt, len(targets))
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- u.hunt(ctx, c, []sip.Uri{t}, offer)
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var win *attempt
	last := attempt{code: 480, reason: "no target answered"}
	for a := range results {
		switch {
		case a.dc != nil && win == nil:
			w := a
			win = &w
			cancel() // CANCEL the others
		case a.dc != nil:
			// A second answer raced the first: end it at once.
			bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = a.dc.Bye(bctx)
			bcancel()
		default:
			if a.code >= 600 {
				cancel()
			}
			if win == nil && (last.code < 600 || a.code >= 600) {
				last = a
			}
		}
	}
	if win != nil {
		return *win
	}
	return last
}

// invite sends one INVITE (digest on 401/407) with the extra headers hdrs
// and waits for the answer; a 2xx is acknowledged.
func (u *UA) invite(ctx context.Context, c *call, target sip.Uri, offer []byte, hdrs ...sip.Header) attempt {
	if hops, name, ok := u.callHops(ctx, target); ok { // callroute.go: the servers DNS gave, in turn
		return u.inviteEach(ctx, c, hops, name, func(ctx context.Context) attempt { return u.invite(ctx, c, target, offer, hdrs...) })
	}
	se := u.cfg.SessionExpires
	a := u.inviteOnce(ctx, c, target, offer, se, nil, hdrs)
	// 422 Session Interval Too Small: once more with the peer's Min-SE
	// (RFC 4028 §7.4), within our own bound.
	if a.code == 422 && a.minSE > se && a.minSE <= maxSessionExpires && ctx.Err() == nil {
		u.log.Info("422 session interval too small: asking again", "call", c.id, "min_se", a.minSE)
		a = u.inviteOnce(ctx, c, target, offer, a.minSE, a.req, hdrs)
	}
	return a
}

// inviteOnce sends one INVITE offering session interval se; a retry of
// prev keeps its Call-ID and From tag with the next CSeq (RFC 3261 §8.1.3.5).
func (u *UA) inviteOnce(ctx context.Context, c *call, target sip.Uri, offer []byte, se time.Duration, prev *sip.Request, hdrs []sip.Header) attempt {
	req, auth, transport := u.inviteRequest(target, offer, se)
	transport = u.routeInvite(ctx, req, transport)
	if media.HasCryptoKeys(offer) && transport != "tls" { // never SRTP keys in clear
		return attempt{code: 488, reason: "SRTP keys would go over " + transport + ", not TLS"}
	}
	for _, h := range hdrs {
		req.AppendHeader(sip.HeaderClone(h))
	}
	if prev != nil {
		if tag, ok := prev.From().Params.Get("tag"); ok {
			req.From().Params.Add("tag", tag)
		}
		req.AppendHeader(sip.HeaderClone(prev.CallID()))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: prev.CSeq().SeqNo + 1, MethodName: sip.INVITE})
	}
	client, err := u.client(transport)
	if err != nil {
		return attempt{code: 500, reason: err.Error()}
	}
	dua := &sipgo.DialogUA{Client: client, ContactHDR: u.contactFor(auth.Username0(), transport)}
	ictx, icancel := context.WithTimeout(ctx, u.timing.NoAnswer)
	defer icancel()
	hctx, hop := u.watchHop(ictx) // invitehop.go: a dead server while more remain
	defer hop.stop()
	var rel reliable18x
	dc, err := dua.WriteInvite(hctx, req)
	if err != nil {
		return attempt{code: 503, reason: "send INVITE to " + target.String() + ": " + err.Error()}
	}
	err = waitAnswer(hctx, dc, sipgo.AnswerOptions{Username: auth.user, Password: auth.pass,
		OnResponse: func(res *sip.Response) error {
			hop.heard.Store(true)
			if n, ok := rel.next(res); ok {
				u.prack(ictx, c, dc, res, n, auth)
			}
			if c.State() == CallAnswered {
				return nil // a transfer's new leg: the call keeps its dialog and media until it answers
			}
			d := clientDialog(dc.InviteRequest, res)
			c.setDialog(d)
			if res.IsProvisional() {
				c.noteEarly(d)
				u.earlyMedia(c, res)
			}
			if res.StatusCode == 180 || res.StatusCode == 183 {
				c.setState(CallRinging, res.StatusCode, Status(res.StatusCode).String())
			}
			return nil
		}})
	if err == nil {
		c.mu.Lock()
		c.answeredIDs = append(c.answeredIDs, dc.ID)
		c.mu.Unlock()
		if err := dc.Ack(ctx); err != nil {
			u.log.Warn("ACK failed", "call", c.id, "err", err)
		}
		c.mu.Lock()
		c.st = u.uacTimer(dc.InviteResponse, se)
		c.mu.Unlock()
		return attempt{dc: dc, code: dc.InviteResponse.StatusCode, early: rel.earlyAnswer()}
	}
	if ctx.Err() != nil && dc.InviteResponse != nil && dc.InviteResponse.IsSuccess() {
		u.dropLateAnswer(c, dc)
		return attempt{code: 487, reason: "cancelled"}
	}
	var dr *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dr):
		a := attempt{code: dr.Res.StatusCode, reason: target.String() + ": " + Status(dr.Res.StatusCode).String(),
			minSE: minSE(dr.Res), req: dc.InviteRequest}
		if a.code >= 300 && a.code < 400 {
			for _, h := range dr.Res.GetHeaders("Contact") {
				if ch, ok := h.(*sip.ContactHeader); ok {
					a.redirect = append(a.redirect, ch.Address)
				}
			}
		}
		return a
	case ctx.Err() != nil:
		return attempt{code: 487, reason: "cancelled"}
	case hop.gaveUp.Load():
		return attempt{code: 503, reason: target.String() + ": no response within " + nextHopTimeout.String()}
	case ictx.Err() != nil:
		return attempt{code: 408, reason: target.String() + ": no answer"}
	}
	return attempt{code: 503, reason: target.String() + ": " + err.Error()}
}

type credentials struct{ user, pass, aorUser string }

// Username0 is the user part for our Contact.
func (c credentials) Username0() string { return c.aorUser }

// inviteRequest builds the INVITE: From is the first account's AOR (or
// this device's user in P2P mode); calls to the account's domain go
// through its outbound proxy or registrar, others go direct.
func (u *UA) inviteRequest(target sip.Uri, offer []byte, se time.Duration) (*sip.Request, credentials, string) {
	req := sip.NewRequest(sip.INVITE, target)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", u.allowHeader()))
	if se > 0 {
		req.AppendHeader(sip.NewHeader("Supported", "timer, 100rel"))
		req.AppendHeader(sip.NewHeader("Session-Expires", secs(se)))
		floor := u.cfg.MinSE
		if se != u.cfg.SessionExpires {
			floor = se // a retry after 422 carries the peer's Min-SE
		}
		req.AppendHeader(sip.NewHeader("Min-SE", secs(floor)))
	} else {
		req.AppendHeader(sip.NewHeader("Supported", "100rel"))
	}
	from := sip.Uri{Scheme: "sip", User: u.cfg.User, Host: u.host, Port: u.Addr().Port}
	cred := credentials{aorUser: u.cfg.User}
	transport := "udp"
	if v, ok := target.UriParams.Get("transport"); ok {
		transport = strings.ToLower(v)
	}
	if len(u.cfg.Accounts) > 0 {
		a := u.cfg.Accounts[0]
		aor := newAOR(a)
		from = aor
		cred = credentials{user: a.authUser(), pass: a.Password, aorUser: a.User}
		if strings.EqualFold(target.Host, aor.Host) && (target.Port == aor.Port || target.Port == 0) || a.OutboundProxy != "" {
			transport = a.transport()
			via := a.OutboundProxy
			if via == "" {
				via = a.Registrar
			}
			if sv, err := parseServer(via, transport); err == nil {
				req.SetDestination(sv.addr(transport))
			}
		}
	}
	if transport != "udp" && target.UriParams == nil {
		req.Recipient.UriParams = sip.HeaderParams{{K: "transport", V: transport}}
	}
	fh := &sip.FromHeader{DisplayName: u.cfg.DisplayName, Address: from, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	return req, cred, transport
}

// dropLateAnswer ends a dialog whose 2xx crossed our CANCEL (RFC 3261
// §9.1): it must be acknowledged and then ended with BYE.
func (u *UA) dropLateAnswer(c *call, dc *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u.log.Info("2xx crossed our CANCEL: ACK and BYE", "call", c.id)
	if err := dc.Ack(ctx); err == nil {
		_ = dc.Bye(ctx)
	}
}
