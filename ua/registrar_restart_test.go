package ua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestRegistrarRestartHeals: a real Kamailio keeps its location table in
// memory. Killed, then started again after a while, or restarted at once,
// on UDP and on TCP, the door station with the shipped keep-alive
// (DefaultKeepAlive, not a shortened one) notices (its state leaves
// "registered" meanwhile), registers again, and a call through Kamailio
// reaches it again. The registration asks for an hour, so the refresh has
// nothing to do with it. A restart at once is done right after a
// keep-alive check was answered: the worst case, a whole interval before
// the next check. The new Kamailio holding the door's contact proves a
// re-REGISTER reached it; the delay from Kamailio's return to
// "registered" is logged and held to the 5 s (with the 25 s
// keep-alive this used to ship, the UDP restart took ~25 s).
func TestRegistrarRestartHeals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, transport string
		outage          bool // stop, wait for the failed state, start again
	}{
		{"udp killed", "udp", true},
		{"udp restarted", "udp", false},
		{"tcp killed", "tcp", true},
		{"tcp restarted", "tcp", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{})
			cfg := testConfig()
			cfg.AllowFrom = nil // calls only through the registrar
			acc := account(k, tc.transport)
			acc.Expires = time.Hour
			cfg.Accounts = []Account{acc}
			door := start(t, cfg, nil)
			door.wait(t, 10*time.Second, "registered", regIs(Registered))

			caller := testConfig()
			caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
			alice := start(t, caller, nil)
			alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
			callDoor(t, alice, door, k)

			if !tc.outage {
				door.awaitLog(t, 30*time.Second, "keep-alive answered")
			}
			before := time.Now()
			if tc.outage {
				k.Stop()
				door.wait(t, 30*time.Second, "failed while Kamailio is down", func(e Event) bool {
					return regIs(RegFailed)(e) && e.Time.After(before)
				})
			}
			k.Restart(t) // returns once Kamailio answers OPTIONS
			back := time.Now()
			lost, again := door.lostAndBack(t, before)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := k.WaitContacts(ctx, acc.User, 1); err != nil {
				t.Fatalf("the restarted Kamailio got no REGISTER from the door: %v", err)
			}
			delay := again.Time.Sub(back)
			t.Logf("%s: registration left at %s (%s), registered again %v after Kamailio answered the harness (events:\n%s)",
				tc.name, lost.Time.Format("15:04:05.000"), lost.Reason, delay.Round(time.Millisecond), door.events())
			if delay > 5*time.Second { // the bound, not a speed test: one keep-alive interval is 4 s
				t.Errorf("registered again %v after Kamailio was back, want within 5 s", delay)
			}
			alice.lostAndBack(t, before)
			callDoor(t, alice, door, k)
		})
	}
}

// awaitLog waits (hang guard d) until the UA logs one more line holding
// msg than it had logged when called.
func (h *harness) awaitLog(t *testing.T, d time.Duration, msg string) {
	t.Helper()
	n := strings.Count(h.logs.String(), msg)
	deadline := time.Now().Add(d)
	for strings.Count(h.logs.String(), msg) == n {
		if time.Now().After(deadline) {
			t.Fatalf("no new %q logged in %v", msg, d)
		}
		time.Sleep(20 * time.Millisecond) // polling the log, not a timed wait
	}
}

// lostAndBack waits (30 s hang guard) for the registration to leave
// "registered" after since, then to be registered again, and returns both
// events: the sequence is asserted, not its timing.
func (h *harness) lostAndBack(t *testing.T, since time.Time) (lost, again Event) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		h.mu.Lock()
		lost, again = Event{}, Event{}
		for _, e := range h.hist {
			switch {
			case e.Kind != EventRegistration || !e.Time.After(since):
			case lost.Time.IsZero() && e.Reg != Registered:
				lost = e
			case !lost.Time.IsZero() && e.Reg == Registered:
				again = e
			}
			if !again.Time.IsZero() {
				break
			}
		}
		h.mu.Unlock()
		if !again.Time.IsZero() {
			return lost, again
		}
		select {
		case <-h.notify:
		case <-deadline:
			t.Fatalf("registration not lost and back after %s:\n%s", since.Format("15:04:05.000"), h.events())
		}
	}
}

// callDoor has alice call the door through Kamailio; the door answers by
// itself; alice hangs up.
func callDoor(t *testing.T, alice, door *harness, k *interop.Kamailio) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	since := time.Now()
	c, err := alice.Call(ctx, []string{"sip:door@" + k.UDP}, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	door.wait(t, 15*time.Second, "the door answered", func(e Event) bool {
		return callIs(CallAnswered)(e) && e.Time.After(since)
	})
	alice.wait(t, 15*time.Second, "alice connected", func(e Event) bool {
		return callIs(CallAnswered)(e) && e.Time.After(since)
	})
	hangup(t, c)
	door.wait(t, 15*time.Second, "the door's call ended", func(e Event) bool {
		return callIs(CallEnded)(e) && e.Time.After(since)
	})
}
