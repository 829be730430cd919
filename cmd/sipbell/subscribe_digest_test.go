package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestSubscribeDigestChallenged (issue 13): a watcher that is a sip.callers
// user with a password, subscribing directly from an address no network
// rule admits, is challenged by the binary as a caller is (401), gets its
// subscription and a NOTIFY once it answers with the password, and is
// refused (403) with a wrong one. Its captured answer, replayed from the
// same address for the same dialog within the nonce's minute (a new
// transaction), is challenged afresh instead of subscribing again.
func TestSubscribeDigestChallenged(t *testing.T) {
	t.Parallel()
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  callers:
    - user: alice
      password: %s
board:
  profile: sim
`, interop.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.await(t, "sip listening")["udp"].(string)
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1"}
	if err := sip.ParseUri("sip:door@"+addr, &door); err != nil {
		t.Fatal(err)
	}
	w := newSIPPeer(t, "watcher")
	subscribe := func(user string) *sip.Request {
		req := w.request(sip.SUBSCRIBE, user, "127.0.0.1", door)
		req.AppendHeader(sip.NewHeader("Event", "presence"))
		req.AppendHeader(sip.NewHeader("Accept", presence.ContentTypePIDF))
		req.AppendHeader(sip.NewHeader("Expires", "300"))
		req.SetDestination(addr)
		return req
	}

	req := subscribe("alice")
	res, err := w.client.Do(ctx, req)
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("SUBSCRIBE from alice without credentials: %v %v, want 401 (a digest challenge)", res, err)
	}
	if res, err = w.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "alice", Password: "wrong"}); err != nil || res.StatusCode != 403 {
		t.Fatalf("SUBSCRIBE with a wrong password: %v %v, want 403", res, err)
	}

	req = subscribe("alice")
	if res, err = w.client.Do(ctx, req); err != nil || res.StatusCode != 401 {
		t.Fatalf("SUBSCRIBE from alice without credentials: %v %v, want 401", res, err)
	}
	res, err = w.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "alice", Password: interop.Password})
	if err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("SUBSCRIBE answering the challenge: %v %v, want 2xx", res, err)
	}
	n := w.nextNotify(ctx, t)
	t.Logf("alice subscribed by digest (%d); NOTIFY %s", res.StatusCode, n.GetHeader("Subscription-State").Value())

	// The captured answer again: same Call-ID, tags, CSeq and Authorization,
	// a new Via branch (a new transaction, not a retransmission).
	replay := req.Clone()
	replay.RemoveHeader("Via")
	replay.SetDestination(addr)
	if res, err = w.client.Do(ctx, replay); err != nil || res.StatusCode != 401 {
		t.Fatalf("the captured SUBSCRIBE replayed: %v %v, want 401 (a fresh challenge)", res, err)
	}
	p.await(t, "request refused: digest answer replayed (nonce count not above the last one accepted)")
}
