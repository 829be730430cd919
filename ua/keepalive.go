package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Reachability that heals (RFC 5626-style keep-alives, issue 13).
//
// While registered, every Config.KeepAlive the loop sends an OPTIONS to
// its own address of record through the registrar (or outbound proxy),
// digest included when challenged. The registrar looks our binding up and
// forwards it to us, and we answer it:
//
//   - any answer but the ones below: the registrar is there and, as far
//     as it can tell, so is our binding;
//   - 404, 408, 410, 480 or 604: the registrar has lost our binding (it
//     restarted and kept its location table in memory, say): register
//     again at once;
//   - no answer at all: register again at once, with a short timeout; if
//     that gets no answer either, the registrar is unreachable: the state
//     says so (failed) and a REGISTER is tried every timing.Probe (2 s,
//     start to start) instead of backing off, so registration is back
//     within about 2 s of the registrar answering again.
//
// Over TCP/TLS the connection is also watched every timing.ConnWatch:
// when it is gone (the registrar closed it or went away), the loop
// registers again at once. A registrar that never answers OPTIONS (the
// REGISTER right after an unanswered check succeeds, twice) gets CRLF
// keep-alives instead (RFC 5626 §4.4.1), which keep NAT bindings and
// connections open but cannot see a lost binding.

// DefaultKeepAlive is Config.KeepAlive's default: short enough that a
// registrar restarted at once (its location table lost, nothing else to
// tell) has the device registered again within 5 s of its return.
const DefaultKeepAlive = 4 * time.Second

// reachability is the regLoop's keep-alive state, under regLoop.mu.
type reachability struct {
	down       []bool    // per server: no answer at all, probed every timing.Probe
	attemptAt  time.Time // start of the last REGISTER
	suspect    bool      // a check failed: the next REGISTER is a short probe
	noAnswer   bool      // ... because the check got no answer
	unanswered int       // REGISTERs answered right after unanswered checks, in a row
	optionsOff bool      // the registrar ignores OPTIONS: CRLF keep-alives
	downSince  time.Time // when the registrar stopped answering
	auth       *regAuth  // the keep-alive's last challenge, reused with nc counting
}

// registered reports whether the account is registered now.
func (r *regLoop) registered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == Registered && r.current >= 0
}

// attemptTimeout bounds the next REGISTER to server si: short while the
// registrar is suspected or unreachable (a probe), timing.RegTimeout
// otherwise. It notes the attempt's start for the probe rhythm.
func (r *regLoop) attemptTimeout(si int) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reach.attemptAt = r.u.clock.Now()
	if r.reach.suspect || r.reach.down[si] {
		return r.u.timing.ProbeTimeout
	}
	return r.u.timing.RegTimeout
}

// probeWait is how long after the last attempt's start the next probe
// goes out (timing.Probe start to start).
func (r *regLoop) probeWait() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.u.timing.Probe - r.u.clock.Now().Sub(r.reach.attemptAt)
	return max(w, 0)
}

// markDown notes that server si did not answer and reports whether it
// was already known to be down (then nothing new is said).
func (r *regLoop) markDown(si int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.reach.down[si]
	if !was {
		r.reach.down[si] = true
		r.reach.downSince = r.u.clock.Now()
	}
	r.reach.suspect, r.reach.noAnswer = false, false
	return was
}

// answered notes that server si answered a REGISTER with success.
func (r *regLoop) answered(si int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reach.down[si] {
		r.u.log.Info("registration: registrar answering again", "account", r.AOR(),
			"registrar", r.servers[si].addr(r.transport), "unreachable_for", r.u.clock.Now().Sub(r.reach.downSince).Round(time.Millisecond))
		r.reach.down[si] = false
	}
	if r.reach.suspect && r.reach.noAnswer && !r.reach.optionsOff {
		if r.reach.unanswered++; r.reach.unanswered >= 2 {
			r.reach.optionsOff = true
			r.u.log.Info("registration: the registrar does not answer OPTIONS; keep-alives are CRLF from now on",
				"account", r.AOR())
		}
	}
	r.reach.suspect, r.reach.noAnswer = false, false
}

// suspectBinding wakes the loop to register again at once, saying why.
// code 0 means the check got no answer.
func (r *regLoop) suspectBinding(code int, why string) {
	r.mu.Lock()
	r.reach.suspect, r.reach.noAnswer = true, code == 0
	r.mu.Unlock()
	r.publish(Registering, code, why+"; registering again")
}

// check runs one keep-alive check and reports whether the registration
// still holds (false: the loop registers again now).
func (r *regLoop) check(ctx context.Context) bool {
	r.mu.Lock()
	si, off := r.current, r.reach.optionsOff
	r.mu.Unlock()
	if si < 0 {
		return true
	}
	if off {
		if err := r.crlf(si); err != nil {
			r.suspectBinding(0, "keep-alive failed: "+err.Error())
			return false
		}
		return true
	}
	code, err := r.optionsSelf(ctx, si)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sip.ErrTransactionTimeout):
		r.suspectBinding(0, "no answer to the keep-alive OPTIONS from "+r.nextHop(si))
		return false
	case err != nil:
		r.suspectBinding(0, err.Error())
		return false
	case code == 404 || code == 408 || code == 410 || code == 480 || code == 604:
		r.suspectBinding(code, fmt.Sprintf("the registrar lost our registration (%s to the keep-alive OPTIONS)", Status(code)))
		return false
	}
	r.mu.Lock()
	r.reach.unanswered = 0
	r.mu.Unlock()
	r.u.log.Debug("registration: keep-alive answered", "account", r.AOR(), "status", code)
	return true
}

// nextHop is where this account's requests go: the outbound proxy, or
// server si.
func (r *regLoop) nextHop(si int) string { return r.hopAddr(si) } // regroute.go: DNS (RFC 3263)

// optionsSelf sends OPTIONS to our own address of record through server
// si and returns the final status code (after digest, when challenged).
func (r *regLoop) optionsSelf(ctx context.Context, si int) (int, error) {
	tr := r.tr()
	c, err := r.u.client(tr)
	if err != nil {
		return 0, err
	}
	// The check's deadline is an idle timer on the injected clock, not
	// context.WithTimeout's runtime timer: stopped when the answer comes,
	// that one still woke the idle process at its deadline (issue 16).
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer idleDeadline(&r.timers.deadline, r.u.timing.CheckTimeout, cancel)()
	req := sip.NewRequest(sip.OPTIONS, r.aor)
	from := &sip.FromHeader{DisplayName: r.u.cfg.DisplayName, Address: r.aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: r.aor, Params: sip.NewParams()})
	req.SetTransport(strings.ToUpper(tr))
	req.SetDestination(r.nextHop(si))
	// The last check's challenge answered again (the next nonce count):
	// one round trip instead of two while the registrar takes it.
	pre := req.Clone()
	if r.checkCredentials(pre) {
		res, err := c.Do(ctx, pre)
		if err == nil && res.StatusCode != 401 && res.StatusCode != 407 {
			return res.StatusCode, nil
		}
		r.keepCheckChallenge(nil) // refused (stale, say): challenged afresh below
	}
	res, err := c.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && r.acc.Password != "" {
		chal := res
		res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: r.acc.authUser(), Password: r.acc.Password})
		if err == nil && res.StatusCode != 401 && res.StatusCode != 407 {
			r.keepCheckChallenge(chal)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx) // the deadline, or the loop stopping
		}
		return 0, fmt.Errorf("ua: keep-alive OPTIONS to %s: %w", r.nextHop(si), err)
	}
	return res.StatusCode, nil
}

// idleDeadline cancels with context.DeadlineExceeded after d on the idle
// slot s (idleslot.go); the returned stop ends the wait, and its
// goroutine before it returns: the slot's next wait is not its.
func idleDeadline(s *idleSlot, d time.Duration, cancel context.CancelCauseFunc) (stop func()) {
	t := s.arm(d)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-t.C():
			cancel(context.DeadlineExceeded)
		case <-done:
		}
	}()
	return func() { close(done); <-exited; t.Stop() }
}

// checkCredentials adds credentials from the keep-alive's kept challenge
// to req (nonce count one up); it reports whether it did.
func (r *regLoop) checkCredentials(req *sip.Request) bool {
	r.mu.Lock()
	a := r.reach.auth
	if a == nil || a.nc >= maxNonceUses {
		r.mu.Unlock()
		return false
	}
	a.nc++
	nc := a.nc
	r.mu.Unlock()
	cred, err := digest.Digest(a.chal, digest.Options{Method: req.Method.String(), URI: req.Recipient.Addr(),
		Username: r.acc.authUser(), Password: r.acc.Password, Count: nc})
	if err != nil {
		return false
	}
	name := "Authorization"
	if a.proxy {
		name = "Proxy-Authorization"
	}
	req.AppendHeader(sip.NewHeader(name, cred.String()))
	return true
}

// keepCheckChallenge keeps the challenge of res (a 401 or 407 that was
// then answered) for the next checks; nil forgets it.
func (r *regLoop) keepCheckChallenge(res *sip.Response) {
	var a *regAuth
	if res != nil {
		name, proxy := "WWW-Authenticate", res.StatusCode == 407
		if proxy {
			name = "Proxy-Authenticate"
		}
		if h := res.GetHeader(name); h != nil {
			if chal, err := digest.ParseChallenge(h.Value()); err == nil {
				chal.Algorithm = strings.ToUpper(chal.Algorithm)
				a = &regAuth{proxy: proxy, chal: chal}
			}
		}
	}
	r.mu.Lock()
	r.reach.auth = a
	r.mu.Unlock()
}

// connAlive reports whether the TCP/TLS connection to the next hop is
// still open (true when that cannot be told: a host name).
func (r *regLoop) connAlive() bool {
	r.mu.Lock()
	si := r.current
	r.mu.Unlock()
	if si < 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(r.nextHop(si))
	if err != nil {
		return true
	}
	pool := r.u.sua.TransportLayer().Pool(r.tr())
	if pool == nil {
		return true
	}
	c := pool.Get(ap.String())
	if c == nil {
		return false
	}
	c.TryClose() // Get took a reference
	return true
}

// crlf sends a CRLF ping (RFC 5626 §4.4.1) to the next hop: on UDP from
// the listening socket, on TCP/TLS over the open connection.
func (r *regLoop) crlf(si int) error { return r.u.keepAlive(r.tr(), r.nextHop(si)) }
