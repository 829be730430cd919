package ua

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// This file is call pickup (RFC 3891 Replaces on an early dialog): while
// the door's call rings the resident's phones, a colleague's phone (a
// BLF key) sends the door an INVITE whose Replaces names the ringing
// dialog. The door cancels its ringing legs and connects the call to the
// phone that picked up. RFC 3891 §3 lets a UA replace only an early
// dialog it initiated: that is exactly the door's ringing call. Only a
// verified or trusted party may pick up (the door's microphone is not
// for anyone who may call).

// maxEarly bounds the early dialogs remembered per call (forked legs).
const maxEarly = 16

// errBadReplaces marks a Replaces header that cannot be read.
var errBadReplaces = errors.New("unusable Replaces header")

// replaces is a parsed Replaces header (RFC 3891 §6.1): the to-tag is
// compared with our local tag, the from-tag with the remote one.
type replaces struct {
	callID, toTag, fromTag string
	earlyOnly              bool
}

func parseReplaces(v string) (replaces, error) {
	parts := strings.Split(v, ";")
	r := replaces{callID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			r.toTag = val
		case "from-tag":
			r.fromTag = val
		case "early-only":
			r.earlyOnly = true
		}
	}
	if r.callID == "" || r.toTag == "" || r.fromTag == "" || len(v) > maxReferHeader {
		return replaces{}, fmt.Errorf("%w: %q", errBadReplaces, v)
	}
	return r, nil
}

// noteEarly remembers an early dialog of an outgoing call (a provisional
// answer with a tag), so that a pickup can name it.
func (c *call) noteEarly(d DialogID) {
	if d.RemoteTag == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.early {
		if e == d {
			return
		}
	}
	if len(c.early) >= maxEarly {
		c.early = c.early[1:]
	}
	c.early = append(c.early, d)
}

// findEarly returns the outgoing call, not answered yet, one of whose
// early dialogs r names.
func (u *UA) findEarly(r replaces) *call {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.calls {
		c.mu.Lock()
		match := !c.incoming && c.state < CallAnswered
		found := false
		for _, e := range c.early {
			found = found || (e.CallID == r.callID && e.LocalTag == r.toTag && e.RemoteTag == r.fromTag)
		}
		c.mu.Unlock()
		if match && found {
			return c
		}
	}
	return nil
}

// claimPickup marks c as being picked up (once) and stops its ringing.
func (c *call) claimPickup() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pickedUp || c.state >= CallAnswered {
		return false
	}
	c.pickedUp = true
	close(c.pickup)
	return true
}

// onPickup answers an INVITE with Replaces (value): it takes over the
// ringing call it names, or is refused: 400 unreadable, 481 no such early
// dialog of ours, 403 not a verified or trusted party, 486 the call was
// answered meanwhile (early-only).
func (u *UA) onPickup(req *sip.Request, tx sip.ServerTransaction, caller Caller, value string) {
	r, err := parseReplaces(value)
	if err != nil {
		u.respond(tx, req, 400)
		return
	}
	c := u.findEarly(r)
	if c == nil {
		u.logStranger(req, "INVITE with Replaces refused: no ringing call of ours matches", "replaces", value)
		u.respond(tx, req, 481)
		return
	}
	if !caller.Trusted && !caller.Verified() {
		u.refused(req, caller, "pickup (INVITE with Replaces) from an unverified caller")
		u.respond(tx, req, 403)
		return
	}
	if !c.claimPickup() {
		u.respond(tx, req, 486)
		return
	}
	u.respond(tx, req, 100)
	if !u.track() {
		u.respond(tx, req, 503)
		return
	}
	defer u.wg.Done()
	u.log.Info("call picked up", "call", c.id, "by", caller.String())
	free := false
	wait := u.clock.NewTimer(32 * time.Second)
	defer wait.Stop()
	select {
	case free = <-c.legsDone:
	case <-c.done:
	case <-wait.C():
	}
	if !free {
		u.respond(tx, req, 486) // a leg answered first: the call is taken
		return
	}
	u.pickedUp(c, req, tx, caller)
}

// pickedUp answers the pickup INVITE with the call's media and runs the
// call with the new dialog.
func (u *UA) pickedUp(c *call, req *sip.Request, tx sip.ServerTransaction, caller Caller) {
	ds, ok := u.readInvite(c, req, tx, "pickup INVITE")
	if !ok {
		return
	}
	defer ds.Close()
	st, _ := u.uasTimer(req)
	c.mu.Lock()
	s := c.sdp
	c.mu.Unlock()
	var answer []byte
	var neg media.Negotiated
	err := s.SetSRTP(u.srtpFor(caller, req)) // srtp.go: this INVITE's transport, not the call's
	if err == nil {
		answer, neg, err = s.Answer(req.Body(), media.SendRecv)
	}
	if err != nil {
		u.final(tx, ds, 488, u.notAcceptable(req.Body(), err))
		c.end(488, "pickup: "+err.Error())
		return
	}
	peer := fromURI(req)
	if caller.Via == ByProxy {
		peer = caller.Identity
	}
	c.mu.Lock()
	c.ds, c.dlgID, c.dialog, c.st = ds, ds.ID, serverDialog(ds), st
	c.peer, c.caller = peer, caller
	c.mu.Unlock()
	if !u.answer(c, ds, tx, answer) {
		return
	}
	c.mu.Lock()
	c.neg, c.hasNeg = neg, true
	c.mu.Unlock()
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("media start failed", "call", c.id, "err", err)
	}
	c.setState(CallAnswered, 200, "picked up")
	u.established(c, ds.Context(), ds.Bye)
}

// isPickedUp reports whether a pickup claimed the call.
func (c *call) isPickedUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pickedUp
}

// handOver ends an outgoing call's ringing for a pickup (in the call's
// goroutine): it tells the pickup whether the call is free and, when it
// is, waits for the call's end so that its media stays open.
func (c *call) handOver(answered bool) {
	c.legsDone <- !answered
	if !answered {
		<-c.done
	}
}
