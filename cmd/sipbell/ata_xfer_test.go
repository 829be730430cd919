package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATABlindTransfer: alice (baresip) calls the phone through
// Kamailio and is answered; a hook flash holds her and gives dial tone,
// the rotary dial (the sim board's pulses) dials 12, which the dial plan
// makes bob, and on hook transfers alice (REFER): her baresip calls bob
// (baresip, auto-answer), who is connected.
func TestATABlindTransfer(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP, AutoAnswer: true, ToneHz: 700})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    caller_id: \"off\"\n    call_waiting: true\n    dial_plan:\n      digit_map: \"(<12:bob>)\"\n",
		kamailioSIP(k)), "-sip-trace")
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:alice@"+k.UDP+": ringing", nil, 1)
	p.hook(ctx, t, true)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	p.simPost(ctx, t, "/flash", ``)
	p.await(ctx, t, "flash: call on hold, dial the number to transfer it to", nil, 1)
	p.simPost(ctx, t, "/dial", `{"digits":"12"}`)
	p.await(ctx, t, "transfer target dialled: hang up to transfer, flash to go back", map[string]string{"target": "bob"}, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "call transferred", nil, 1)
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob was never called by the transferred alice: %v", err)
	}
	if !strings.Contains(p.log(), "REFER sip:alice") {
		t.Errorf("no REFER sent to alice")
	}
	p.await(ctx, t, "call transferred by us", nil, 1)
	p.stop(ctx, t)
}

// TestATABusyWhenOffHook: a call to the phone while its handset is off
// hook (dial tone, no call waiting) is turned away with 486 Busy Here.
func TestATABusyWhenOffHook(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    caller_id: \"off\"\n", kamailioSIP(k)), "-sip-trace")
	p.await(ctx, t, "registration registered", nil, 1)
	p.hook(ctx, t, true)
	p.await(ctx, t, "off hook", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.log(), `"sip send"`) || !strings.Contains(p.log(), "SIP/2.0 486 Busy Here") {
		t.Errorf("the call was not turned away with 486 Busy Here")
	}
	p.stop(ctx, t)
}

// TestATAFailedTransferRingsBack: alice (baresip) calls the phone and is
// answered; flash, 12 dialled (carol, whom Kamailio does not know), on
// hook: alice's baresip reports the new call failed (404), and instead
// of being dropped alice rings the phone's bell again (recall); off hook
// takes her back, still in the call (re-INVITE, no BYE), and on hook ends it.
func TestATAFailedTransferRingsBack(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    caller_id: \"off\"\n    call_waiting: true\n    dial_plan:\n      digit_map: \"(<12:carol>)\"\n",
		kamailioSIP(k)), "-sip-trace")
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:alice@"+k.UDP+": ringing", nil, 1)
	p.hook(ctx, t, true)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	p.simPost(ctx, t, "/flash", ``)
	p.await(ctx, t, "flash: call on hold, dial the number to transfer it to", nil, 1)
	p.simPost(ctx, t, "/dial", `{"digits":"12"}`)
	p.await(ctx, t, "transfer target dialled: hang up to transfer, flash to go back", map[string]string{"target": "carol"}, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "call transferred", nil, 1)
	p.await(ctx, t, "transfer failed: the held call rings back", nil, 1)
	p.await(ctx, t, "recall: a call is on hold, ringing", nil, 1)
	if !strings.Contains(p.log(), "REFER sip:alice") {
		t.Errorf("no REFER sent to alice")
	}
	p.hook(ctx, t, true)
	p.await(ctx, t, "recalled call resumed", nil, 1)
	p.hook(ctx, t, false)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.stop(ctx, t)
	if n := strings.Count(p.log(), "BYE sip:alice"); n != 1 {
		t.Errorf("%d BYEs sent to alice, want 1 (on the last on hook)", n)
	}
}
