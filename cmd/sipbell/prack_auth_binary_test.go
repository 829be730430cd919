package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestPrackEdgesBinary: the door station (the sipbell binary, with an
// account whose credentials it answers challenges with) calls sipp
// callees at the edges of RFC 3262: one that challenges the PRACK (407:
// the PRACK goes again with Proxy-Authorization) and one that sends 12
// reliable 18x before its 200 (more responses than sipgo's WaitAnswer
// reads by itself). Each call is answered and every 18x PRACKed.
func TestPrackEdgesBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		pracks   int
	}{{"uas_prack_auth.xml", 2}, {"uas_many_18x.xml", 12}} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			hole, err := net.ListenPacket("udp", "127.0.0.1:0") // the account's registrar: never answers
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { hole.Close() })
			callee := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", tc.scenario),
				Timeout: 30 * time.Second})
			dir := t.TempDir()
			mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
			interop.WriteWAV(t, mic, voiceSignal(5))
			cfg := fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n"+
				"  accounts:\n    - registrar: %s\n      user: door\n      password: secret\n"+
				"audio:\n  capture: %s\n  playback: %s\n"+
				"device:\n  buttons:\n    - targets: [\"sip:uas@%s\"]\n", hole.LocalAddr(), mic, speaker, callee.Addr)
			p := startVoice(t, cfg, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			p.await(ctx, t, "door station ready", nil, 1)
			p.press(t, 1)
			p.await(ctx, t, "call answered", nil, 1)
			p.press(t, 1)
			r := callee.Wait(ctx)
			if r.Exit != 0 {
				t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
			}
			if n := len(regexp.MustCompile(`(?m)^RAck: `).FindAllString(r.Messages, -1)); n != tc.pracks {
				t.Errorf("%d PRACKs, want %d", n, tc.pracks)
			}
		})
	}
}
