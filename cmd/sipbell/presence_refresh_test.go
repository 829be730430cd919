package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestPresenceRefreshKeepsDoorOnline: Kamailio (publ_cache 2, its 5.6
// in-memory cache) grants the binary's publication only a few seconds,
// so the binary refreshes it; a watcher that subscribes after two
// refreshes is told at once that the door is open and available (a
// refresh without the document left Kamailio serving an empty body: the
// door looked offline to every phone that subscribed later).
func TestPresenceRefreshKeepsDoorOnline(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, PublCache: 2, PresenceMaxExpires: 4})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
presence:
  expires: 1m
`, k.UDP, interop.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	if err := k.Log.WaitFor(ctx, "IN PUBLISH", 3); err != nil { // the publication and two refreshes
		t.Fatal(err)
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	alice := newSIPPeer(t, "alice")
	alice.subscribe(ctx, t, "alice", k.UDP, door, k.UDP, "presence", presence.ContentTypePIDF)
	n := alice.nextNotify(ctx, t)
	doc, err := presence.ParsePIDF(n.Body())
	if err != nil {
		t.Fatalf("a watcher subscribing after refreshes gets no presence document: %v\n%q", err, n.Body())
	}
	if st := presence.StatusOf(doc); st.State != presence.Idle || st.Note != "Available" {
		t.Errorf("a watcher subscribing after refreshes sees %+v, want the door available:\n%s", st, n.Body())
	}
	p.noLog(t, "presence: publish failed")
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
