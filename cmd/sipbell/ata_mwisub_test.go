package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/sipbell/sipbell/internal/interop"
)

// publishMWI publishes the door account's message-summary at Kamailio's
// presence server, as a voicemail server does (RFC 3842 over RFC 3903).
func publishMWI(ctx context.Context, t *testing.T, vm *sipPeer, k *interop.Kamailio, waiting bool) {
	t.Helper()
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	req := vm.request(sip.PUBLISH, "door", k.UDP, door) // Kamailio takes a PUBLISH for the account from the account only
	yes := map[bool]string{true: "yes", false: "no"}[waiting]
	req.AppendHeader(sip.NewHeader("Event", "message-summary"))
	req.AppendHeader(sip.NewHeader("Expires", "3600"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/simple-message-summary"))
	req.SetBody([]byte("Messages-Waiting: " + yes + "\r\nMessage-Account: sip:door@127.0.0.1\r\nVoice-Message: 1/0 (0/0)\r\n"))
	res, err := vm.do(ctx, req, k.UDP, "door")
	if err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("PUBLISH message-summary %s: %v %v", yes, err, res)
	}
}

// TestATAVoicemailSubscription: the phone subscribes to its account's
// message-summary at Kamailio (presence_mwi); the voicemail state a
// voicemail server published there reaches it in Kamailio's NOTIFY
// (waiting: stutter dial tone, measured in the earpiece), and a later
// "no" arrives in the next NOTIFY.
func TestATAVoicemailSubscription(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	vm := newSIPPeer(t, "voicemail")
	publishMWI(ctx, t, vm, k, true)
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n", kamailioSIP(k)), "-sip-trace")
	p.await(ctx, t, "voicemail subscription active", nil, 1)
	if strings.Contains(p.log(), "voicemail subscription failed") {
		t.Errorf("the subscription failed before it succeeded")
	}
	p.await(ctx, t, "voicemail", map[string]string{"waiting": "true"}, 1)
	if !strings.Contains(p.log(), "SUBSCRIBE sip:door@") || !strings.Contains(p.log(), "Event: message-summary") {
		t.Errorf("no SUBSCRIBE for message-summary in the trace")
	}
	p.hook(ctx, t, true)
	waitFileSize(ctx, t, ear, 44+2*8000*3, "3 s of earpiece")
	p.hook(ctx, t, false)
	p.await(ctx, t, "on hook", nil, 1)
	publishMWI(ctx, t, vm, k, false)
	p.await(ctx, t, "voicemail", map[string]string{"waiting": "false"}, 1)
	p.stop(ctx, t)
	r := runs(readWAV(t, ear))
	t.Logf("earpiece runs: %v", r)
	if len(r) < 21 || r[20] < 500*time.Millisecond {
		t.Fatalf("earpiece runs %v: want 20 runs of 100 ms (stutter), then steady tone", r)
	}
	for i, d := range r[:20] {
		if !near(d, 100*time.Millisecond) {
			t.Errorf("stutter run %d lasted %v, want 100 ms", i, d)
		}
	}
}
