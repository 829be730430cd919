package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATAEarlyMediaInsteadOfRingback: the phone calls a sipp that
// answers 183 with SDP (an announcement before the answer) and 200 three
// seconds later: the phone plays no ringback of its own (the far end's
// audio is what the caller should hear), then the call is answered and
// ends with BYE when the handset goes down.
func TestATAEarlyMediaInsteadOfRingback(t *testing.T) {
	t.Parallel()
	s := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", "uas_early_media.xml"),
		Replace: map[string]string{"wait_ms": "3000"}, Timeout: 40 * time.Second})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear,
		"    dial_plan:\n      digit_map: \"(2xxx)\"\n      speed_dials: {\"1\": \"sip:uas@"+s.Addr+"\"}\n",
		"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  allow_from: [127.0.0.1]\n"))
	p.hook(ctx, t, true)
	p.await(ctx, t, "off hook", nil, 1)
	p.simPost(ctx, t, "/dial", `{"digits":"1"}`)
	p.await(ctx, t, "early media", nil, 1)
	p.await(ctx, t, "call answered", nil, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "hanging up: the handset was put down", nil, 1)
	if r := s.Wait(ctx); r.Exit != 0 {
		t.Errorf("sipp exit %d:\n%s", r.Exit, r.Log)
	}
	p.stop(ctx, t)
	if n := len(p.matching("ringing", nil)); n != 0 {
		t.Errorf("the phone played its own ringback (%d ringing lines) over the early media", n)
	}
	var ringback int
	for _, f := range frames(voiced(readWAV(t, ear))) {
		if interop.ToneShare(f, 480) > 0.2 {
			ringback++
		}
	}
	if ringback > 0 {
		t.Errorf("%d frames of ringback (440+480 Hz) in the earpiece", ringback)
	}
}
