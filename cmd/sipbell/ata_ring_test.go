package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestATADistinctiveRing: a call whose INVITE says Alert-Info
// <http://…/Bellcore-dr2> (sipp, as a PBX's ring group sends it) rings
// the bell in GR-506's dr2 cadence, 0.8 s on, 0.4 s off, 0.8 s on, 4 s
// off, measured from the sim board's ringer pins; off hook answers.
func TestATADistinctiveRing(t *testing.T) {
	t.Parallel()
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    caller_id: \"off\"\n",
		"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  allow_from: [127.0.0.1]\n"))
	addr := fmt.Sprint(p.await(ctx, t, "sip listening", nil, 1)["udp"])
	s := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("testdata", "uac_alert_info.xml"),
		Remote: addr, Service: "phone", Args: []string{"-d", "500"}, Timeout: 40 * time.Second})
	p.await(ctx, t, "call from sip:caller@"+s.Addr+": ringing", nil, 1)
	var r board.RingReport
	for r = p.ringer(ctx, t); r.Bursts < 2; r = p.ringer(ctx, t) {
		select {
		case <-ctx.Done():
			t.Fatalf("the ringer did not ring twice: %+v", r)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Logf("ringer after the second burst: %+v", r)
	// The edges come from the board's scheduler on a real clock.
	if (time.Duration(r.OnMS)*time.Millisecond-800*time.Millisecond).Abs() > 150*time.Millisecond ||
		(time.Duration(r.OffMS)*time.Millisecond-400*time.Millisecond).Abs() > 150*time.Millisecond {
		t.Errorf("ring %d ms on after %d ms off; want dr2's 800 after 400 (US: 2000 after 4000)", r.OnMS, r.OffMS)
	}
	p.hook(ctx, t, true)
	p.await(ctx, t, "call answered", nil, 1)
	if res := s.Wait(ctx); res.Exit != 0 {
		t.Errorf("sipp exit %d:\n%s", res.Exit, res.Log)
	}
	p.hook(ctx, t, false)
	p.stop(ctx, t)
}
