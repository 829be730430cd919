package ua

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestGuardTrustsRegistrarFoundLater: DNS does not answer when the door
// starts, so its registrar (Kamailio, found by SRV) is not among the
// servers the request guard exempts at start. Once DNS answers and the
// door registers, Kamailio's answers and the call it relays pass the
// guard's rate limit (here one message a second, allow_from empty) like
// the registrar's always did: nothing of it is dropped.
func TestGuardTrustsRegistrarFoundLater(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Aliases: []string{"pbx.test"}})
	dnsPort := interop.FreePort(t)
	cfg := testConfig()
	cfg.AllowFrom = nil
	cfg.Limits.SourceRate, cfg.Limits.SourceBurst = 1, 1
	cfg.DNSServer = fmt.Sprintf("127.0.0.1:%d", dnsPort)
	cfg.Accounts = []Account{{Registrar: "sip:pbx.test", User: "door", Password: interop.Password, Expires: time.Hour}}
	door := start(t, cfg, nil)
	door.wait(t, 10*time.Second, "failed while DNS is down", regIs(RegFailed))
	zone := sipZone(k.Port, k.Port)
	zone.Port = dnsPort
	interop.StartDnsmasq(t, zone)
	door.wait(t, 20*time.Second, "registered once DNS answers", regIs(Registered))

	caller := testConfig()
	caller.Accounts = []Account{{Registrar: k.UDP, User: "alice", Password: interop.Password, Expires: time.Hour}}
	alice := start(t, caller, nil)
	alice.wait(t, 10*time.Second, "alice registered", regIs(Registered))
	callDoor(t, alice, door, k)
	if n := door.GuardDrops()["rate limit"]; n != 0 {
		t.Errorf("the guard dropped %d messages of the registrar DNS found over the rate limit", n)
	}
}
