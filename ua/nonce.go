package ua

import (
	"sync"
	"time"
)

// Replay protection for the user agent's own digest challenges (RFC 2617
// §3.2.2, RFC 7616 §3.4): a nonce is signed, not stored, so it is good
// from the same address, for the same call, for nonceLife; within that,
// each answer must carry a nonce count above the last one accepted for
// that nonce (an answer without qop has no count: its nonce is good once).
// A captured Authorization header replayed, even from a forged source
// address within the same call, is challenged afresh.

// maxDigestAnswers bounds the table of nonces answered within nonceLife. Each
// entry costs about 100 bytes; filling it takes that many correct
// passwords within a minute.
const maxDigestAnswers = 1024

// nonceUses remembers, per nonce answered correctly, the highest nonce
// count accepted and when the nonce was issued. When the table is full,
// the entry issued first is dropped and floor raised to its issue time:
// a nonce issued at or before floor that is not in the table can no
// longer be told from one already used, so it is refused as stale (the
// caller retries with a fresh one).
type nonceUses struct {
	mu    sync.Mutex
	seen  map[string]nonceUse
	floor time.Time
}

type nonceUse struct {
	nc     int
	issued time.Time
}

// nonceVerdict is what nonceUses.use decided.
type nonceVerdict int

const (
	nonceFresh     nonceVerdict = iota // accepted: a count above the last
	nonceReplayed                      // the count was not above the last: a replay
	nonceForgotten                     // issued before the oldest entry kept: stale
)

// use records an accepted answer with nonce count nc (0 without qop) to
// nonce, issued at issued, and says whether it may be accepted.
func (n *nonceUses) use(nonce string, nc int, issued, now time.Time) nonceVerdict {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]nonceUse{}
	}
	if prev, ok := n.seen[nonce]; ok {
		if nc <= prev.nc {
			return nonceReplayed
		}
		n.seen[nonce] = nonceUse{nc: nc, issued: prev.issued}
		return nonceFresh
	}
	if !issued.After(n.floor) {
		return nonceForgotten
	}
	if len(n.seen) >= maxDigestAnswers {
		n.prune(now)
	}
	n.seen[nonce] = nonceUse{nc: nc, issued: issued}
	return nonceFresh
}

// prune drops the entries older than nonceLife (their nonces are refused
// as stale anyway) and, if the table is still full, the one issued first.
func (n *nonceUses) prune(now time.Time) {
	var oldest string
	for k, v := range n.seen {
		if now.Sub(v.issued) > nonceLife {
			delete(n.seen, k)
			continue
		}
		if oldest == "" || v.issued.Before(n.seen[oldest].issued) {
			oldest = k
		}
	}
	if len(n.seen) >= maxDigestAnswers && oldest != "" {
		if t := n.seen[oldest].issued; t.After(n.floor) {
			n.floor = t
		}
		delete(n.seen, oldest)
	}
}
