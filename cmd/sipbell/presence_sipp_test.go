package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestPresenceSippWatcherThroughKamailio: the resident's phone is sipp,
// subscribed to the door station's presence through a real Kamailio with
// the presence modules. The NOTIFY bodies sipp receives, read from its own
// message trace with plain patterns (not sipbell's PIDF parser), follow the
// device: idle (open) → ringing (busy) → in call (on-the-phone) → idle,
// and closed once sipbell stops.
func TestPresenceSippWatcherThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  auto_answer: false
  accounts:
    - registrar: %s
      user: door
      password: %s
device:
  buttons:
    - targets: [bob]
`, k.UDP, interop.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	watcher := interop.StartSipp(t, interop.SippOptions{
		Scenario: "testdata/sipp_presence_watcher.xml", Remote: k.UDP, Service: "door",
		Keys: map[string]string{"user": "alice"}, Auth: [2]string{"alice", interop.Password},
		Timeout: 60 * time.Second,
	})
	seen := func() []string { return notifyStates(watcher.Messages()) }
	waitState := func(want string) {
		t.Helper()
		for {
			if s := seen(); len(s) > 0 && s[len(s)-1] == want {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the watcher never saw %q; it saw %v\n%s", want, seen(), watcher.Messages())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitState("idle")
	press(t, p, 1)
	waitState("ringing")
	if err := bob.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	waitState("in call")
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	waitState("idle")
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	waitState("closed")
	// In order, each change once (a repeat of the same state may come).
	var changes []string
	for _, s := range seen() {
		if len(changes) == 0 || changes[len(changes)-1] != s {
			changes = append(changes, s)
		}
	}
	t.Logf("sipp's NOTIFYs: %v", seen())
	if got, want := strings.Join(trimLeadingClosed(changes), " → "), "idle → ringing → in call → idle → closed"; got != want {
		t.Errorf("the watcher saw %s, want %s", got, want)
	}
}

var (
	notifyRE  = regexp.MustCompile(`(?s)NOTIFY sip:.*?(?:\n-{10,}|\z)`)
	basicRE   = regexp.MustCompile(`<(?:\w+:)?basic>\s*(open|closed)\s*</`)
	phoneRE   = regexp.MustCompile(`<(?:\w+:)?on-the-phone\s*/>`)
	busyRE    = regexp.MustCompile(`<(?:\w+:)?busy\s*/>`)
	pidfBodyR = regexp.MustCompile(`<presence[\s>]`)
)

// notifyStates classifies, in order, the PIDF bodies of the NOTIFYs in a
// sipp message trace.
func notifyStates(trace string) []string {
	var out []string
	for _, m := range notifyRE.FindAllString(trace, -1) {
		if !pidfBodyR.MatchString(m) {
			continue // an empty NOTIFY (nothing published yet)
		}
		b := basicRE.FindStringSubmatch(m)
		switch {
		case b == nil:
			continue
		case b[1] == "closed":
			out = append(out, "closed")
		case phoneRE.MatchString(m):
			out = append(out, "in call")
		case busyRE.MatchString(m):
			out = append(out, "ringing")
		default:
			out = append(out, "idle")
		}
	}
	return out
}

// trimLeadingClosed drops a "closed" Kamailio may send before sipbell's
// first PUBLISH arrived.
func trimLeadingClosed(s []string) []string {
	for len(s) > 0 && s[0] == "closed" {
		s = s[1:]
	}
	return s
}
