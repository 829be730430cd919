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

// TestPresenceOfflineWhileUnregistered: the binary registers with one
// Kamailio (the registrar) and publishes to another (the presence server,
// presence.server; the account's domain is the presence server's). A
// watcher there sees the door open; when the registrar is stopped the
// watcher sees it closed ("Not registered"), and open and available again
// once the registrar is back and the door registered again.
func TestPresenceOfflineWhileUnregistered(t *testing.T) {
	t.Parallel()
	reg := interop.StartKamailio(t, interop.KamailioOptions{})
	pres := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  keepalive: 1s
  accounts:
    - registrar: %s
      domain: 127.0.0.1:%d
      user: door
      password: %s
board:
  profile: sim
presence:
  server: %s
  expires: 2m
`, reg.UDP, pres.Port, interop.Password, pres.UDP))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: pres.Port}
	alice := newSIPPeer(t, "alice")
	alice.subscribe(ctx, t, "alice", pres.UDP, door, pres.UDP, "presence", presence.ContentTypePIDF)
	// until waits for a NOTIFY showing want (with note, when given);
	// others (Kamailio's first NOTIFY may come before sipbell's PUBLISH,
	// or repeat the last state) are skipped.
	until := func(want presence.State, note string) {
		t.Helper()
		for {
			n := alice.nextNotify(ctx, t)
			doc, err := presence.ParsePIDF(n.Body())
			if err != nil || len(doc.Tuples) == 0 {
				continue
			}
			st := presence.StatusOf(doc)
			if st.State == want && (note == "" || st.Note == note) {
				t.Logf("watcher sees %s (%s):\n%s", st.State, st.Text(), n.Body())
				return
			}
		}
	}
	until(presence.Idle, "Available")

	stopped := time.Now()
	reg.Stop()
	until(presence.Offline, "Not registered")
	t.Logf("registrar stopped → watcher sees the door offline: %v", time.Since(stopped).Round(time.Millisecond))
	p.await(t, "presence: published offline while not registered")

	back := time.Now()
	reg.Restart(t)
	until(presence.Idle, "Available")
	t.Logf("registrar back → watcher sees the door available: %v", time.Since(back).Round(time.Millisecond))
	p.await(t, "presence: registered again, publishing the status")
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
