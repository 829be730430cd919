package ua

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestRegistrarRestartHeals: a real Kamailio keeps its location table in
// memory. Killed, then started again after a while, or restarted at once,
// on UDP and on TCP, the door station notices (its state leaves
// "registered" meanwhile), registers again as soon as Kamailio answers,
// and a call through Kamailio reaches it again. The registration asks for
// an hour, so the refresh has nothing to do with it. The delay from
// Kamailio's return to "registered" is logged (about 2 s at most: the
// rhythm of the probes), asserted only against a 30 s hang guard.
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
			door := start(t, cfg, func(u *UA) { u.cfg.KeepAlive = time.Second })
			door.wait(t, 10*time.Second, "registered", regIs(Registered))

			caller := testConfig()
			caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
			alice := start(t, caller, func(u *UA) { u.cfg.KeepAlive = time.Second })
			alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
			callDoor(t, alice, door, k)

			before := time.Now()
			if tc.outage {
				k.Stop()
				door.wait(t, 30*time.Second, "failed while Kamailio is down", func(e Event) bool {
					return regIs(RegFailed)(e) && e.Time.After(before)
				})
			}
			k.Restart(t) // returns once Kamailio answers OPTIONS
			back := time.Now()
			if !tc.outage {
				door.wait(t, 30*time.Second, "the lost binding noticed", func(e Event) bool {
					return e.Kind == EventRegistration && e.Reg != Registered && e.Time.After(before)
				})
			}
			ev := door.wait(t, 30*time.Second, "registered again", func(e Event) bool {
				return regIs(Registered)(e) && e.Time.After(back)
			})
			t.Logf("%s: registered again %v after Kamailio answered again (events:\n%s)",
				tc.name, ev.Time.Sub(back).Round(time.Millisecond), door.events())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := k.WaitContacts(ctx, acc.User, 1); err != nil {
				t.Fatal(err)
			}
			alice.wait(t, 30*time.Second, "alice registered again", func(e Event) bool {
				return regIs(Registered)(e) && e.Time.After(back)
			})
			callDoor(t, alice, door, k)
		})
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
