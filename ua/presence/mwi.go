package presence

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// This file keeps a subscription to the account's message-summary
// (RFC 3842, voicemail waiting) at the PBX: the analog phone's stutter
// dial tone. The NOTIFYs it brings are taken by the user agent (ua's
// WithMessageWaiting), as the unsolicited ones PBXes send.

// MWIResponse is the final response to a message-summary SUBSCRIBE,
// reduced to what the subscriber needs. Durations are 0 when absent.
type MWIResponse struct {
	Status     int
	Expires    time.Duration // Expires granted
	MinExpires time.Duration // Min-Expires of a 423
	RetryAfter time.Duration // Retry-After
}

// MWISender sends one SUBSCRIBE for message-summary and returns its final
// response; refresh sends it within the subscription the last success
// made (a new subscription otherwise). An error means no final response.
type MWISender interface {
	SubscribeMWI(ctx context.Context, expires time.Duration, refresh bool) (MWIResponse, error)
}

// MWIConfig tunes an MWISubscriber; zero fields take the defaults.
type MWIConfig struct {
	Expires     time.Duration // asked for (default 1h)
	BackoffBase time.Duration // first retry after a failure (default 30s)
	BackoffMax  time.Duration // cap of the backoff (default 1h)
	Timeout     time.Duration // one SUBSCRIBE, digest included (default 32s)
}

func (c *MWIConfig) defaults() {
	if c.Expires <= 0 {
		c.Expires = time.Hour
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 30 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = time.Hour
	}
	if c.Timeout <= 0 {
		c.Timeout = 32 * time.Second
	}
}

// MWISubscriber keeps the message-summary subscription up: refreshed at
// four fifths of the time granted; 481 on a refresh starts a new one at
// once; 423 asks again for the server's Min-Expires (bounded to a day);
// 403 (not allowed) and 404/405/489/501 (no such event here) back off
// to BackoffMax at once, other failures double from BackoffBase to it
// (Retry-After honoured within those bounds). Each change of outcome is
// logged once.
type MWISubscriber struct {
	send  MWISender
	cfg   MWIConfig
	clock clockwork.Clock
	log   *slog.Logger
}

// NewMWISubscriber returns a subscriber sending through s.
func NewMWISubscriber(s MWISender, cfg MWIConfig, clock clockwork.Clock, log *slog.Logger) *MWISubscriber {
	cfg.defaults()
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &MWISubscriber{send: s, cfg: cfg, clock: clock, log: log}
}

// unsubscribeWait bounds the SUBSCRIBE that ends the subscription when
// Run stops (sipbell stopping waits for it).
const unsubscribeWait = 2 * time.Second

// Run subscribes and keeps the subscription until ctx ends; it then ends
// an active subscription (Expires: 0, RFC 6665 section 4.1.2.3) within
// unsubscribeWait, so the PBX stops sending NOTIFYs to a device gone.
func (m *MWISubscriber) Run(ctx context.Context) error {
	expires, refresh := m.cfg.Expires, false
	defer func() {
		if refresh {
			m.unsubscribe(ctx)
		}
	}()
	backoff := time.Duration(0)
	last := -1 // the last outcome logged
	for {
		sctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		res, err := m.send.SubscribeMWI(sctx, expires, refresh)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		code := res.Status
		if err != nil {
			code = 0
		}
		var wait time.Duration
		switch {
		case err == nil && code/100 == 2:
			granted := res.Expires
			if granted <= 0 || granted > expires {
				granted = expires
			}
			wait, refresh, backoff = granted*4/5, true, 0
			if code != last {
				m.log.Info("voicemail subscription active", "expires", granted)
			}
		case err == nil && code == 481 && refresh:
			refresh = false
			m.log.Info("voicemail subscription gone at the server: subscribing again")
			continue
		case err == nil && code == 423 && res.MinExpires > expires && res.MinExpires <= 24*time.Hour:
			expires = res.MinExpires
			continue
		default:
			refresh = false
			backoff = m.nextBackoff(backoff, code)
			wait = max(backoff, min(res.RetryAfter, m.cfg.BackoffMax))
			if code != last {
				m.log.Warn("voicemail subscription failed: "+mwiWhy(code), "code", code, "err", err, "retry_in", wait)
			}
		}
		last = code
		select {
		case <-ctx.Done():
			return nil
		case <-m.clock.After(wait):
		}
	}
}

// unsubscribe sends the SUBSCRIBE with Expires: 0 within the
// subscription, after ctx (Run's, ended) is done.
func (m *MWISubscriber) unsubscribe(ctx context.Context) {
	uctx, cancel := clockwork.WithTimeout(context.WithoutCancel(ctx), m.clock, min(m.cfg.Timeout, unsubscribeWait))
	defer cancel()
	res, err := m.send.SubscribeMWI(uctx, 0, true)
	if err != nil || res.Status/100 != 2 {
		m.log.Info("voicemail subscription not ended at the server: it expires there", "code", res.Status, "err", err)
		return
	}
	m.log.Info("voicemail subscription ended")
}

// nextBackoff is the pause after a failure with code (0: no answer).
func (m *MWISubscriber) nextBackoff(prev time.Duration, code int) time.Duration {
	switch code {
	case 403, 404, 405, 489, 501:
		return m.cfg.BackoffMax
	}
	if prev == 0 {
		return m.cfg.BackoffBase
	}
	return min(2*prev, m.cfg.BackoffMax)
}

func mwiWhy(code int) string {
	switch code {
	case 0:
		return "no answer"
	case 403:
		return "not allowed"
	case 404, 405, 489, 501:
		return "the PBX does not offer message-summary subscriptions"
	}
	return "refused"
}
