package main

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATALineEchoKeepsKeysAndVoice: with the line echo canceller on, the
// handset's DTMF keys still dial (the detector hears the cancelled
// microphone, under the dial tone the earpiece plays) and the handset's
// own steady 1 kHz, also in the earpiece as the loudest sidetone the
// phone allows (-6 dB), reaches alice: the canceller does not take the
// user's voice for an echo of its own sidetone.
func TestATALineEchoKeepsKeysAndVoice(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true, ToneHz: 440})
	dir := t.TempDir()
	mic, ear := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "earpiece.wav")
	dtmfWAV(t, mic, "12", 1500*time.Millisecond, 1000, 30)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg := strings.Replace(ataConfig(mic, ear, "    sidetone_db: -6\n    dial_plan:\n      digit_map: \"(<12:alice>|[2-9]xxx)\"\n", kamailioSIP(k)),
		"board:\n", "  echo_cancel:\n    mode: on\nboard:\n", 1)
	p := startATA(ctx, t, cfg)
	p.await(ctx, t, "echo canceller on", map[string]string{"tail_ms": "64"}, 1)
	p.await(ctx, t, "registration registered", nil, 1)
	p.hook(ctx, t, true)
	p.await(ctx, t, "dialling", map[string]string{"digits": "12", "number": "alice"}, 1)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	heard := waitGlob(ctx, t, filepath.Join(alice.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, 44+2*5*8000, "alice's recording")
	p.hook(ctx, t, false)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatalf("baresip saw no BYE: %v", err)
	}
	p.stop(ctx, t)
	rec := readWAV(t, heard)
	late := voiced(rec[min(len(rec), 3*8000):]) // after the canceller had time to (wrongly) converge
	share, level := interop.ToneShare(late, 1000), rms(late)
	t.Logf("alice heard %d voiced samples after the first 3 s: 1000 Hz share %.3f, RMS %.0f (sent: %.0f)", len(late), share, level, 8000/math.Sqrt2)
	if len(late) < 8000 || share < 0.8 {
		t.Errorf("alice heard %d voiced samples, 1000 Hz share %.2f: want 1 s of the handset's 1 kHz", len(late), share)
	}
	if level < 8000/math.Sqrt2/2 {
		t.Errorf("the handset's 1 kHz reached alice at RMS %.0f, more than 6 dB below the %.0f sent", level, 8000/math.Sqrt2)
	}
}
