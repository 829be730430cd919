package ua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// regLoop keeps one account registered (RFC 3261 §10): digest auth,
// refresh before expiry, 423 Min-Expires, backoff with jitter,
// Retry-After, failover across registrars, and Expires: 0 at shutdown.
type regLoop struct {
	u       *UA
	idx     int
	acc     Account
	aor     sip.Uri
	servers []server
	proxy   *server
	callID  string

	mu sync.Mutex
	// transport is the one REGISTERs go over: the account's, or, when it
	// names none and DNS finds the server, the one RFC 3263 chose
	// (regroute.go resolve); read it with tr.
	transport   string
	chosen      bool // transport was chosen by DNS, for the loop's life
	cseq        uint32
	contact     sip.Uri
	stale       *sip.Uri      // a contact replaced by correctContact, removed with the next REGISTER
	expires     time.Duration // asked for
	notBefore   []time.Time   // per server: Retry-After / backoff
	dead        []bool        // per server: a 6xx was final
	current     int           // server registered with, -1 none
	state       RegState
	kick        chan struct{} // re-register now (connection lost, contact changed)
	corrections int           // contact corrections in a row (loop guard)
	reach       reachability  // keep-alive checks and probing: keepalive.go
	auth        *regAuth      // the last challenge, reused on refreshes
	timers      *loopTimers   // the loop's waits (idleslot.go); its goroutine's only
	routes      []route       // per server: the hops DNS gave (regroute.go)
}

func newRegLoop(u *UA, idx int, a Account) *regLoop {
	tr := a.transport()
	r := &regLoop{u: u, idx: idx, acc: a, transport: tr, callID: sip.GenerateTagN(24),
		expires: a.expires(), current: -1, kick: make(chan struct{}, 1), cseq: 1, timers: newLoopTimers(u.clock)}
	for _, s := range append([]string{a.Registrar}, a.Failover...) {
		sv, _ := parseServer(s, tr)
		r.servers = append(r.servers, sv)
	}
	if a.OutboundProxy != "" {
		p, _ := parseServer(a.OutboundProxy, tr)
		r.proxy = &p
	}
	r.aor = newAOR(a)
	r.notBefore = make([]time.Time, len(r.servers))
	r.routes = make([]route, len(r.servers))
	r.dead = make([]bool, len(r.servers))
	r.reach.down = make([]bool, len(r.servers))
	port := u.Addr().Port
	r.contact = sip.Uri{Scheme: "sip", User: a.User, Host: u.host, Port: port}
	if tr != "udp" {
		r.contact.UriParams = sip.HeaderParams{{K: "transport", V: tr}}
	}
	return r
}

// AOR returns "sip:user@domain".
func (r *regLoop) AOR() string { return r.aor.String() }

func (r *regLoop) publish(st RegState, code int, reason string) {
	r.mu.Lock()
	r.state = st
	r.mu.Unlock()
	// Debug: the device logs each change of state that matters to an
	// installer ("registered", "registration failed"), once; this line is
	// every attempt and refresh.
	r.u.log.Debug("registration", "account", r.AOR(), "state", st.String(), "code", code, "reason", reason)
	r.u.emit(Event{Kind: EventRegistration, Account: r.AOR(), Reg: st, Code: code, Reason: reason})
}

// outcome classifies one REGISTER exchange.
type outcome int

const (
	outOK         outcome = iota
	outTooBrief           // 423 with Min-Expires
	outAuthFailed         // 401/407 after credentials, or 403
	outServerFail         // timeout, transport error, 5xx: try the next server
	outGlobal             // 6xx: final for this server
	outOther              // any other failure: back off
)

type regResult struct {
	out        outcome
	code       int
	reason     string
	granted    time.Duration
	retryAfter time.Duration
	minExpires time.Duration
	res        *sip.Response
}

// run registers until regCtx's parent is done (stop), then unregisters.
func (r *regLoop) run(ctx context.Context, stop <-chan struct{}) {
	r.publish(Registering, 0, "")
	defer r.timers.close()
	attempts, cancel := stopCtx(ctx, stop)
	defer cancel()
	attempt, brief := 0, 0
	for {
		si, wait := r.pick()
		if si < 0 && wait < 0 {
			r.publish(RegFailed, 0, "every registrar refused with a final 6xx")
			<-stop
			return
		}
		if si >= 0 {
			res := r.register(attempts, si, r.expires, r.attemptTimeout(si))
			wait = r.handle(si, res, &attempt, &brief)
			if wait < 0 { // immediate retry (423, next server)
				continue
			}
		}
		if !r.sleep(attempts, wait, stop) {
			r.unregister(ctx)
			return
		}
	}
}

// handle turns a result into the next state and the wait before the next
// attempt; a negative wait means "try again now".
func (r *regLoop) handle(si int, res regResult, attempt, brief *int) time.Duration {
	t := r.u.timing
	srv := r.serverName(si)
	switch res.out {
	case outOK:
		*attempt = 0
		r.mu.Lock()
		r.current = si
		r.mu.Unlock()
		*brief = 0
		if r.corrections < 3 && r.correctContact(res.res) {
			r.corrections++ // bounds re-registering for a contact that keeps moving
			return -1
		}
		r.corrections = 0
		r.answered(si)
		r.registeredVia(si)
		r.publish(Registered, res.code, fmt.Sprintf("%s, %v granted by %s", Status(res.code), res.granted, srv))
		return refreshIn(res.granted, jitter())
	case outTooBrief:
		*brief++
		if *brief <= 3 && res.minExpires > r.expires {
			r.expires = res.minExpires
			r.u.log.Info("registration: registrar wants a longer expiry", "min_expires", res.minExpires)
			return -1
		}
	case outAuthFailed:
		r.publish(RegFailed, res.code, res.reason+" (check user and password)")
		*attempt++
		return t.AuthRetry
	case outGlobal:
		r.mu.Lock()
		r.dead[si] = true
		r.mu.Unlock()
		r.publish(RegFailed, res.code, res.reason+" from "+srv)
		return -1
	case outServerFail:
		// Timeout, transport error or 503: the next server DNS gave
		// (RFC 3263 §4.3), before the configured failover registrars.
		if res.code == 0 || res.code == 503 {
			if h, ok := r.failover(si); ok {
				r.u.log.Info("registration: trying the next server DNS gave", "account", r.AOR(), "failed", srv, "reason", res.reason, "next", h.String())
				r.publish(Registering, res.code, fmt.Sprintf("%s from %s; trying %s", res.reason, srv, h.Addr))
				return -1
			}
		}
		b := backoff(t.BackoffBase, t.BackoffMax, *attempt, jitter())
		if res.retryAfter > 0 {
			b = res.retryAfter
		}
		// No answer at all: no backoff but a probe every timing.Probe,
		// said once (the registrar may be back any moment).
		probing, wasDown := res.code == 0, false
		if probing {
			b, wasDown = r.probeWait(), r.markDown(si)
		}
		r.mu.Lock()
		r.notBefore[si] = r.u.clock.Now().Add(b)
		if r.current == si {
			r.current = -1
		}
		r.mu.Unlock()
		if next, w := r.pick(); next >= 0 && next != si && w == 0 {
			if !wasDown {
				r.publish(Registering, res.code, fmt.Sprintf("%s from %s; trying %s", res.reason, srv, r.servers[next].Host))
			}
			return -1
		}
		if probing {
			if !wasDown {
				r.publish(RegFailed, res.code, fmt.Sprintf("%s from %s; trying every %v", res.reason, srv, t.Probe))
			}
			return b
		}
		r.publish(RegFailed, res.code, fmt.Sprintf("%s from %s; retry in %v", res.reason, srv, b.Round(time.Millisecond)))
		*attempt++
		return b
	}
	b := backoff(t.BackoffBase, t.BackoffMax, *attempt, jitter())
	*attempt++
	r.publish(RegFailed, res.code, fmt.Sprintf("%s from %s; retry in %v", res.reason, srv, b.Round(time.Millisecond)))
	return b
}

// pick returns the first usable server in configured order (primary
// first: that is how the loop falls back to it), or -1 and how long until
// one is usable; -1, -1 when all are dead.
func (r *regLoop) pick() (int, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.u.clock.Now()
	best := time.Duration(-1)
	for i := range r.servers {
		if r.dead[i] {
			continue
		}
		if !now.Before(r.notBefore[i]) {
			return i, 0
		}
		if w := r.notBefore[i].Sub(now); best < 0 || w < best {
			best = w
		}
	}
	return -1, best
}

// sleep waits d and reports false when the UA is stopping. Meanwhile,
// when registered, it checks the registration every KeepAlive (and a
// TCP/TLS connection every timing.ConnWatch, see keepalive.go); a kick
// (contact changed) or a failed check ends it early.
func (r *regLoop) sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	timer := r.timers.wait.arm(d)
	defer timer.Stop()
	// The keep-alive timer runs across connection watches (a watch every
	// second must not push the check back), and is renewed after a check.
	var kt Timer
	defer func() { stopTimer(kt) }()
	for {
		var ka, cw <-chan time.Time
		var wt Timer
		if kt == nil && r.u.cfg.KeepAlive > 0 && r.registered() {
			kt = r.timers.keepAlive.arm(r.u.cfg.KeepAlive)
		}
		if kt != nil {
			ka = kt.C()
		}
		if r.tr() != "udp" && r.registered() {
			wt = r.timers.watch.arm(r.u.timing.ConnWatch)
			cw = wt.C()
		}
		select {
		case <-stop:
			stopTimer(wt)
			return false
		case <-timer.C():
			stopTimer(wt)
			return true
		case <-r.kick:
			stopTimer(wt)
			return true
		case <-ka:
			stopTimer(wt)
			kt = nil
			if !r.check(ctx) {
				return true
			}
		case <-cw:
			if !r.connAlive() {
				r.suspectBinding(0, "connection to the registrar lost")
				return true
			}
		}
	}
}

func stopTimer(ts ...Timer) {
	for _, t := range ts {
		if t != nil {
			t.Stop()
		}
	}
}

// request builds a fresh REGISTER (new Via branch, next CSeq) for server si.
func (r *regLoop) request(si int, expires time.Duration) *sip.Request {
	srv := r.servers[si]
	recipient := sip.Uri{Scheme: "sip", Host: srv.Host, Port: srv.Port}
	if tr := r.tr(); tr != "udp" {
		recipient.UriParams = sip.HeaderParams{{K: "transport", V: tr}}
	}
	req := sip.NewRequest(sip.REGISTER, recipient)
	r.mu.Lock()
	r.cseq++
	cseq, contact, stale := r.cseq, r.contact, r.stale
	r.stale = nil
	r.mu.Unlock()
	from := &sip.FromHeader{DisplayName: r.u.cfg.DisplayName, Address: r.aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: r.aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(r.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	req.AppendHeader(&sip.ContactHeader{Address: contact, Params: sip.NewParams()})
	if stale != nil {
		old := &sip.ContactHeader{Address: *stale, Params: sip.NewParams()}
		old.Params.Add("expires", "0")
		req.AppendHeader(old)
	}
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", r.u.allowHeader()))
	req.SetDestination(r.nextHop(si))
	return req
}

// register runs one REGISTER exchange with server si, digest included,
// bounded by timeout.
func (r *regLoop) register(ctx context.Context, si int, expires, timeout time.Duration) regResult {
	// DNS first, on its own bound (dnsTimeout), not the REGISTER's: it
	// may choose the transport.
	if err := r.resolve(ctx, si, expires > 0); err != nil {
		return regResult{out: outServerFail, reason: err.Error()}
	}
	r.u.trustHops()
	c, err := r.u.client(r.tr())
	if err != nil {
		return regResult{out: outOther, reason: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, r.hopTimeout(si, timeout))
	defer cancel()
	req := r.request(si, expires)
	r.preauthorize(req, si)
	res, err := c.Do(ctx, req)
	auth := sipgo.DigestAuth{Username: r.acc.authUser(), Password: r.acc.Password}
	var challenge *sip.Response
	for tries := 0; err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && tries < 2; tries++ {
		if tries == 1 && !staleChallenge(res) {
			break // challenged again without stale=true: wrong credentials
		}
		// A refused kept nonce (stale, or expired without saying so) is
		// answered like a first challenge: tries is still 0.
		challenge = res
		res, err = c.DoDigestAuth(ctx, req, res, auth)
		r.mu.Lock()
		r.cseq = req.CSeq().SeqNo
		r.mu.Unlock()
	}
	if err != nil {
		reason := "no answer"
		if !errors.Is(err, sip.ErrTransactionTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			reason = err.Error()
		}
		if certRefused(err) { // tlsdns.go
			r.u.log.Warn("registration: the server's TLS certificate is refused", "account", r.AOR(),
				"server", r.serverName(si), "must_name", tlsServerName(r.acc, r.target(si)), "err", err)
		}
		return regResult{out: outServerFail, reason: reason}
	}
	switch {
	case res.IsSuccess() && challenge != nil:
		r.keepChallenge(si, challenge)
	case !res.IsSuccess():
		r.keepChallenge(si, nil)
	}
	return classify(res, expires, r.contactSnapshot())
}

func (r *regLoop) contactSnapshot() sip.Uri {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.contact
}

func staleChallenge(res *sip.Response) bool {
	for _, name := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		if h := res.GetHeader(name); h != nil && strings.Contains(strings.ToLower(h.Value()), "stale=true") {
			return true
		}
	}
	return false
}

// classify maps a final REGISTER response to an outcome.
func classify(res *sip.Response, asked time.Duration, contact sip.Uri) regResult {
	code := res.StatusCode
	rr := regResult{code: code, reason: Status(code).String(), res: res}
	if h := res.GetHeader("Retry-After"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0])); err == nil && n >= 0 {
			rr.retryAfter = time.Duration(n) * time.Second
		}
	}
	switch {
	case code >= 200 && code < 300:
		rr.out = outOK
		rr.granted = granted(res, asked, contact)
	case code == 423:
		rr.out = outTooBrief
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
				rr.minExpires = time.Duration(n) * time.Second
			}
		}
	case code == 401 || code == 407:
		rr.out, rr.reason = outAuthFailed, rr.reason+" after authentication"
	case code == 403:
		rr.out = outAuthFailed
	case code == 408 || code >= 500 && code < 600:
		rr.out = outServerFail
	case code >= 600:
		rr.out = outGlobal
	default:
		rr.out = outOther
	}
	return rr
}

// granted returns the expiry the registrar granted our contact: its
// Contact expires parameter, else the Expires header, else what we asked.
func granted(res *sip.Response, asked time.Duration, contact sip.Uri) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok || ch.Address.Host != contact.Host || ch.Address.Port != contact.Port || ch.Address.User != contact.User {
			continue
		}
		if v, ok := ch.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// correctContact applies RFC 3581: when the registrar saw us at another
// address (received/rport), the Contact is rewritten to that address and
// true is returned so the caller re-registers at once.
func (r *regLoop) correctContact(res *sip.Response) bool {
	if res == nil {
		return false
	}
	via := res.Via()
	if via == nil {
		return false
	}
	host, port := "", 0
	if v, ok := via.Params.Get("received"); ok && v != "" {
		host = v
	}
	if v, ok := via.Params.Get("rport"); ok && v != "" {
		port, _ = strconv.Atoi(v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.contact
	if (host == "" || host == c.Host) && (port == 0 || port == c.Port) {
		return false
	}
	if host != "" {
		c.Host = host
	}
	if port != 0 {
		c.Port = port
	}
	r.u.log.Info("registration: contact corrected from received/rport", "from", r.contact.String(), "to", c.String())
	old := r.contact
	r.stale = &old
	r.contact = c
	return true
}

// unregister removes our binding (Expires: 0), bounded by timing.Unregister.
func (r *regLoop) unregister(ctx context.Context) {
	r.mu.Lock()
	si := r.current
	r.mu.Unlock()
	if si < 0 {
		r.publish(Unregistered, 0, "stopped")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.u.timing.Unregister)
	defer cancel()
	res := r.register(ctx, si, 0, r.u.timing.Unregister)
	r.publish(Unregistered, res.code, "unregistered: "+res.reason)
}

// stopCtx returns a context derived from ctx that is also cancelled when
// stop closes, so an in-flight REGISTER does not delay shutdown.
func stopCtx(ctx context.Context, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-stop:
		case <-c.Done():
		}
		cancel()
	}()
	return c, cancel
}
