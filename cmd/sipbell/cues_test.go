package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestVisitorHearsRingback: the visitor presses the button, the resident's
// phone (a real baresip that does not answer) rings, and the door
// station's speaker plays the ringback tone (US: 440 + 480 Hz) until the
// visitor presses again, which cancels the call.
func TestVisitorHearsRingback(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice"})
	speaker := filepath.Join(t.TempDir(), "speaker.wav")
	p := startWith(t, nil, "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n"+
		"audio:\n  playback: "+speaker+"\n  tone_country: US\n"+
		"device:\n  buttons:\n    - targets: [\""+b.URI+"\"]\n")
	p.await(t, "sip listening")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := p.stdin.Write([]byte("1\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatalf("baresip was not called: %v", err)
	}
	// A second of ringback reaches the speaker.
	for voicedInFile(speaker) < 8000 {
		select {
		case <-ctx.Done():
			t.Fatal("no ringback reached the speaker")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := p.stdin.Write([]byte("1\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatalf("the second press did not end the call: %v", err)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	heard := voiced(readWAV(t, speaker))
	share := interop.ToneShare(heard, 440) + interop.ToneShare(heard, 480)
	t.Logf("speaker: %d voiced samples, 440+480 Hz share %.3f, 1000 Hz %.3f", len(heard), share, interop.ToneShare(heard, 1000))
	if share < 0.8 {
		t.Errorf("ringback (440+480 Hz) is %.2f of what the speaker played, want > 0.8", share)
	}
}
