package ua

import (
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// answerNC answers challenge for req as user/password with nonce count nc.
func answerNC(t *testing.T, req *sip.Request, challenge, user, password string, nc int) sip.Header {
	t.Helper()
	ch, err := digest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(ch, digest.Options{Method: "INVITE", URI: req.Recipient.Addr(),
		Username: user, Password: password, Cnonce: "c0ffee", Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	return sip.NewHeader("Authorization", cred.String())
}

// TestDigestReplayRefused: a captured answer to the user agent's own
// challenge, replayed from the same address for the same call within the
// nonce's minute, is challenged afresh (not admitted); a later answer to
// the same nonce with a higher nonce count is admitted, once.
func TestDigestReplayRefused(t *testing.T) {
	u, _ := identityUA(t)
	const src = "203.0.113.9:5062"
	first := invite(t, src, "sip:alice@anywhere.example", "rp1")
	ch := challengeFor(u, first)
	auth1 := answerNC(t, first, ch, "alice", "alice-pw", 1)
	auth2 := answerNC(t, first, ch, "alice", "alice-pw", 2)
	for i, tc := range []struct {
		name  string
		auth  sip.Header
		admit bool
	}{
		{"first answer", auth1, true},
		{"the same answer replayed", auth1, false},
		{"the next nonce count", auth2, true},
		{"the next nonce count replayed", auth2, false},
		{"an older nonce count", auth1, false},
	} {
		c, v := u.identify(invite(t, src, "sip:alice@anywhere.example", "rp1", tc.auth))
		switch {
		case tc.admit && (v.code != 0 || c.Identity != "alice"):
			t.Errorf("%d %s: %+v code %d, want alice admitted", i, tc.name, c, v.code)
		case !tc.admit && (v.code != 401 || v.stale || c.Verified()):
			t.Errorf("%d %s: %+v verdict %+v, want a fresh challenge", i, tc.name, c, v)
		}
	}
}

// TestDigestNoQOPOnce: an answer without qop carries no nonce count: its
// nonce is good once.
func TestDigestNoQOPOnce(t *testing.T) {
	u, _ := identityUA(t)
	const src = "203.0.113.9:5062"
	first := invite(t, src, "sip:alice@anywhere.example", "nq1")
	c, _ := u.identify(first)
	ch := digest.Challenge{Realm: digestRealm, Nonce: u.nonce(c.Source, first, u.clock.Now()), Algorithm: "MD5"}
	auth := answerNC(t, first, ch.String(), "alice", "alice-pw", 0)
	if _, v := u.identify(invite(t, src, "sip:alice@anywhere.example", "nq1", auth)); v.code != 0 {
		t.Fatalf("first answer without qop: %+v, want admitted", v)
	}
	if _, v := u.identify(invite(t, src, "sip:alice@anywhere.example", "nq1", auth)); v.code != 401 {
		t.Errorf("the same answer again: %+v, want a challenge", v)
	}
}

// TestNonceUsesBounded: the table of answered nonces holds at most
// maxDigestAnswers; a nonce pushed out cannot be told from a used one, so
// it is refused as stale rather than accepted again, and nonces issued
// after it still work.
func TestNonceUsesBounded(t *testing.T) {
	var n nonceUses
	t0 := time.Unix(1e9, 0)
	for i := range maxDigestAnswers + 10 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		if v := n.use(fmt.Sprint("n", i), 1, at, at); v != nonceFresh {
			t.Fatalf("nonce %d: %v", i, v)
		}
	}
	if len(n.seen) > maxDigestAnswers {
		t.Errorf("%d entries kept, want at most %d", len(n.seen), maxDigestAnswers)
	}
	now := t0.Add(2 * time.Second)
	if v := n.use("n0", 2, t0, now); v != nonceForgotten {
		t.Errorf("a nonce pushed out of the table: %v, want forgotten (stale)", v)
	}
	last := fmt.Sprint("n", maxDigestAnswers+9)
	if v := n.use(last, 1, t0.Add(time.Duration(maxDigestAnswers+9)*time.Millisecond), now); v != nonceReplayed {
		t.Errorf("the newest nonce replayed: %v, want replayed", v)
	}
	// Entries older than a nonce's life make room without raising the floor.
	later := t0.Add(2 * nonceLife)
	if v := n.use("fresh", 1, later, later); v != nonceFresh {
		t.Errorf("a fresh nonce after the old ones expired: %v", v)
	}
	if len(n.seen) > maxDigestAnswers {
		t.Errorf("%d entries kept, want at most %d", len(n.seen), maxDigestAnswers)
	}
}
