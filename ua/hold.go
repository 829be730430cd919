package ua

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// ErrNotAnswered is returned by Hold and Resume on a call that is not
// answered.
var ErrNotAnswered = errors.New("ua: call is not answered")

// Hold puts the call on hold from our side: a re-INVITE offering
// a=sendonly (a=inactive when the peer already holds us, RFC 6337 §5.3).
// Media follows the answer. A refused re-INVITE leaves the call as it was.
func (c *call) Hold(ctx context.Context) error { return c.setHold(ctx, true) }

// Resume takes the call off our hold: a re-INVITE offering a=sendrecv
// (a=recvonly while the peer still holds us).
func (c *call) Resume(ctx context.Context) error { return c.setHold(ctx, false) }

func (c *call) setHold(ctx context.Context, hold bool) error {
	op := "resume"
	if hold {
		op = "hold"
	}
	if c.State() != CallAnswered {
		return fmt.Errorf("%s %s: %w", op, c.id, ErrNotAnswered)
	}
	c.mu.Lock()
	was := c.localHold
	c.localHold = hold
	c.mu.Unlock()
	res, err := c.u.reinvite(ctx, c)
	if err == nil && !res.IsSuccess() {
		err = fmt.Errorf("answered %d %s", res.StatusCode, res.Reason)
	}
	if err != nil {
		c.mu.Lock()
		c.localHold = was
		c.mu.Unlock()
		return fmt.Errorf("%s %s: %w", op, c.id, err)
	}
	c.u.log.Info("call", "id", c.id, "held by us", hold)
	return nil
}

// localDir is the direction we offer or answer with (c.mu held): we stop
// receiving on our hold, and offer nothing at all when the peer holds
// us too.
func (c *call) localDir() media.Direction {
	switch {
	case c.localHold && c.held:
		return media.Inactive
	case c.localHold:
		return media.SendOnly
	case c.held:
		return media.RecvOnly
	}
	return media.SendRecv
}

// answerDir is the direction we answer a peer's offer with (c.mu held):
// our hold only; the offer says what the peer does.
func (c *call) answerDir() media.Direction {
	if c.localHold {
		return media.SendOnly
	}
	return media.SendRecv
}

// glareTries bounds how often a re-INVITE answered 491 is sent again.
const glareTries = 3

// reinvite sends a re-INVITE with our current offer (and the session
// timer, which it refreshes), acknowledges a 2xx and applies its answer.
// A 491 (the peer's re-INVITE crossed ours) is retried after the random
// delay of RFC 3261 §14.1, at most glareTries times in all.
func (u *UA) reinvite(ctx context.Context, c *call) (*sip.Response, error) {
	// One re-INVITE at a time (RFC 3261 §14.1): a hold and a refresh wait
	// for each other.
	c.inviteMu.Lock()
	defer c.inviteMu.Unlock()
	for try := 1; ; try++ {
		res, err := u.reinviteOnce(ctx, c)
		if err != nil || res.StatusCode != 491 || try == glareTries {
			return res, err
		}
		d := c.glareDelay()
		u.log.Info("re-INVITE crossed the peer's (491): trying again", "call", c.id, "after", d)
		t := u.clock.NewTimer(d)
		select {
		case <-t.C():
		case <-c.done:
			t.Stop()
			return res, nil
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("re-INVITE %s after 491: %w", c.id, ctx.Err())
		}
	}
}

// glareDelay is how long to wait before re-sending a re-INVITE refused
// with 491 (RFC 3261 §14.1): 2.1–4 s when we chose the dialog's Call-ID
// (we placed the call), 0–2 s otherwise, in units of 10 ms.
func (c *call) glareDelay() time.Duration {
	c.mu.Lock()
	owner := c.dc != nil
	c.mu.Unlock()
	if owner {
		return time.Duration(210+rand.IntN(191)) * 10 * time.Millisecond
	}
	return time.Duration(rand.IntN(201)) * 10 * time.Millisecond
}

// reinviteOnce sends one re-INVITE (c.inviteMu held).
func (u *UA) reinviteOnce(ctx context.Context, c *call) (*sip.Response, error) {
	body, err := c.currentOffer()
	if err != nil {
		return nil, err
	}
	st := c.timer()
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	if st.interval > 0 {
		who := "uas"
		if st.weRefresh {
			who = "uac"
		}
		req.AppendHeader(sip.NewHeader("Session-Expires", secs(st.interval)+";refresher="+who))
		req.AppendHeader(sip.NewHeader("Min-SE", secs(u.cfg.MinSE)))
	}
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	res, err := c.do(rctx, req)
	if err != nil {
		return nil, err
	}
	if res.IsSuccess() {
		c.ackReinvite(req, res)
		u.reinviteAnswer(c, res)
		c.mu.Lock()
		if se, refresher, ok := sessionExpires(res); ok && c.st.interval > 0 {
			c.st.interval = max(se, u.cfg.MinSE)
			c.st.weRefresh = refresher != "uas"
		}
		c.mu.Unlock()
		select { // a refresh in its own right: restart the watch
		case c.refreshed <- struct{}{}:
		default:
		}
	}
	return res, nil
}
