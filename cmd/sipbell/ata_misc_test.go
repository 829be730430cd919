package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATAWarnsNobodyCanCallPhone: an analog phone with no account and
// nobody admitted warns at start that nobody can call this phone (not
// "this door station").
func TestATAWarnsNobodyCanCallPhone(t *testing.T) {
	t.Parallel()
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n", ""))
	m := p.await(ctx, t, msgNobodyCanCallPhone, nil, 1)
	p.stop(ctx, t)
	if m["level"] != "WARN" || m["fix"] == nil {
		t.Errorf("warning: %v", m)
	}
	if strings.Contains(p.log(), "door station") {
		t.Errorf("an analog phone's log speaks of a door station")
	}
}

// TestATADoNotDisturb: with device.phone.dnd, alice's call (baresip,
// through Kamailio) is turned away: her baresip sees 486 Busy Here and
// the bell never rings.
func TestATADoNotDisturb(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    dnd: true\n", kamailioSIP(k)))
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	ev, err := alice.WaitEventData(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:alice@"+k.UDP+" turned away: do not disturb is on", nil, 1)
	p.stop(ctx, t)
	t.Logf("baresip: call closed %q", ev["param"])
	if !strings.Contains(fmt.Sprint(ev["param"]), "486") {
		t.Errorf("baresip's call closed with %q, want 486 Busy Here", ev["param"])
	}
	if strings.Contains(p.log(), "ringer ring") || len(p.matching("call from sip:alice@"+k.UDP+": ringing", nil)) > 0 {
		t.Errorf("the bell rang on do not disturb")
	}
}

// TestATANotificationTexts: alice (baresip) calls the phone and gives up
// before it is answered; the phone's texts reach bob (a SIP peer) as SIP MESSAGEs
// through Kamailio ("The phone is ringing: … is calling.", "Missed call
// from … at HH:MM.") and a signed webhook gets rang (incoming) and missed.
func TestATANotificationTexts(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
	hook := newWebhookSink(t)
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bob := newSIPPeer(t, "bob")
	bob.register(ctx, t, k, "bob")
	sip := kamailioSIP(k) + hook.config("rang", "missed") +
		fmt.Sprintf("  messages:\n    to: [\"sip:bob@%s\"]\n    events: [rang, missed]\n", k.UDP)
	p := startATA(ctx, t, ataConfig("silence", ear, "    caller_id: \"off\"\n", sip))
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:alice@"+k.UDP+": ringing", nil, 1)
	if w := hook.await(ctx, t, "rang"); !w.Incoming || !strings.Contains(w.Peer, "alice") {
		t.Errorf("rang webhook: %+v", w)
	}
	ringing := "The phone is ringing: sip:alice@" + k.UDP + " is calling."
	if got := bob.nextMessage(ctx, t); got != ringing {
		t.Errorf("bob got %q, want %q", got, ringing)
	}
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	if w := hook.await(ctx, t, "missed"); !strings.Contains(w.Peer, "alice") {
		t.Errorf("missed webhook: %+v", w)
	}
	missed := "Missed call from sip:alice@" + k.UDP + " at "
	if got := bob.nextMessage(ctx, t); !strings.HasPrefix(got, missed) || len(got) != len(missed)+len("15:04.") {
		t.Errorf("bob got %q, want %q HH:MM.", got, missed)
	}
	p.stop(ctx, t)
}

// TestATAOffHookAtStart: the handset is already off hook when sipbell
// starts (the sim board started with -sim-off-hook): the board reports
// it, and the phone gives dial tone at once (350+440 Hz measured in the
// earpiece), then reorder, the howler and silence, as for a handset
// lifted later; putting it down ends that.
func TestATAOffHookAtStart(t *testing.T) {
	t.Parallel()
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear,
		"    country: US\n    dial_tone_timeout: 5s\n    reorder_timeout: 1s\n    howler_timeout: 1s\n", ""), "-sim-off-hook")
	p.await(ctx, t, "the handset is off hook at start", nil, 1)
	p.await(ctx, t, "off hook", nil, 1)
	p.await(ctx, t, "off hook without a call: no digit dialled", nil, 1)
	p.await(ctx, t, "off hook too long: the line goes quiet until the handset is put down", nil, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "on hook", nil, 1)
	p.stop(ctx, t)
	x := readWAV(t, ear)
	r := runs(x)
	t.Logf("earpiece runs: %v", r)
	if len(r) == 0 || r[0] < 4500*time.Millisecond {
		t.Fatalf("earpiece runs %v: want 5 s of dial tone first", r)
	}
	dial := x[400 : 4*8000]
	if s := interop.ToneShare(dial, 350) + interop.ToneShare(dial, 440); s < 0.9 {
		t.Errorf("the first 4 s of the earpiece: %.2f of the energy at 350+440 Hz, want dial tone", s)
	}
}
