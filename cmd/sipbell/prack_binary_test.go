package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestPrackBinary: the door station (the sipbell binary) calls a sipp
// callee that sends reliable 180 and 183 (Require: 100rel); the door
// PRACKs each once with the right RAck (the scenario fails otherwise),
// the early media starts, the 200 without SDP answers the call, and the
// visitor's second press ends it (BYE).
func TestPrackBinary(t *testing.T) {
	t.Parallel()
	callee := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", "uas_100rel.xml"),
		Timeout: 30 * time.Second})
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(5))
	p := startVoice(t, voiceConfig(mic, speaker, fmt.Sprintf("device:\n  buttons:\n    - targets: [\"sip:uas@%s\"]\n", callee.Addr)), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)
	p.press(t, 1)
	p.await(ctx, t, "early media: the visitor hears the far end", nil, 1)
	p.await(ctx, t, "call answered", nil, 1)
	p.press(t, 1)
	r := callee.Wait(ctx)
	if r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	if n := len(regexp.MustCompile(`(?m)^RAck: `).FindAllString(r.Messages, -1)); n != 2 {
		t.Errorf("%d PRACKs, want 2 (180, 183; not the retransmitted 180)", n)
	}
}
