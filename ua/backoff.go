package ua

import (
	"github.com/emiago/sipgo/sip"
	"math/rand/v2"
	"time"
)

// timing holds the registration timers; tests shorten them.
type timing struct {
	BackoffBase  time.Duration // first retry after a failure (before jitter)
	BackoffMax   time.Duration // cap of the exponential backoff
	Probe        time.Duration // REGISTER rhythm while the registrar does not answer at all
	ProbeTimeout time.Duration // one REGISTER then (digest included)
	CheckTimeout time.Duration // one keep-alive OPTIONS check (digest included)
	ConnWatch    time.Duration // how often a TCP/TLS registration's connection is looked at
	AuthRetry    time.Duration // retry after wrong credentials (no tight loop)
	RegTimeout   time.Duration // one REGISTER transaction, including digest
	Unregister   time.Duration // bound on the Expires: 0 at shutdown
	NoAnswer     time.Duration // an INVITE without a final answer
	NoAck        time.Duration // 2xx sent, no ACK: BYE after this (64·T1)
	MaxRedirects int
}

func defaultTiming() timing {
	return timing{BackoffBase: 2 * time.Second, BackoffMax: 5 * time.Minute,
		Probe: 2 * time.Second, ProbeTimeout: 1800 * time.Millisecond, CheckTimeout: 5 * time.Second,
		ConnWatch: time.Second,
		AuthRetry: 10 * time.Minute, RegTimeout: 32 * time.Second, Unregister: time.Second,
		NoAnswer: 3 * time.Minute, NoAck: 64 * sip.T1, MaxRedirects: 5}
}

// backoff returns the wait before retry number attempt (0-based):
// base·2^attempt capped at max, then scaled by a jitter factor in
// [0.5, 1.0) drawn from rnd (a value in [0,1)).
func backoff(base, max time.Duration, attempt int, rnd float64) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return time.Duration(float64(d) * (0.5 + rnd/2))
}

// refreshIn returns when to refresh a registration granted for g: between
// 50% and 75% of g (jittered by rnd in [0,1)), so a fleet of devices does
// not refresh in step and a lost refresh still has time for a retry.
func refreshIn(g time.Duration, rnd float64) time.Duration {
	if g <= 0 {
		return 0
	}
	return g/2 + time.Duration(float64(g/4)*rnd)
}

// jitter returns a random number in [0,1).
func jitter() float64 { return rand.Float64() }
