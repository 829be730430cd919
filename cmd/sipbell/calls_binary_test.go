package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestSecondCallWhileTalking: while a caller talks to the door station
// (the sipbell binary), a second caller is refused: with sip.max_calls 1
// by the user agent itself (486 Busy Here), with sip.max_calls 2 by the
// door station, which keeps its one visitor call (the call rings in and
// is refused, 480); either way the first call goes on.
func TestSecondCallWhileTalking(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		maxCalls int
		code     string
	}{{1, "486"}, {2, "480"}} {
		t.Run(fmt.Sprintf("max_calls %d", tc.maxCalls), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
			interop.WriteWAV(t, mic, voiceSignal(2))
			cfg := fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n  max_calls: %d\n", tc.maxCalls) +
				"audio:\n  capture: " + mic + "\n  playback: " + speaker + "\n"
			p := startVoice(t, cfg, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
			first := interop.StartSipp(t, interop.SippOptions{Scenario: "uac_call_wait_bye.xml", Remote: addr,
				Service: "door", Timeout: 30 * time.Second})
			p.await(ctx, t, "call answered", nil, 1)
			second := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_expect.xml", Remote: addr,
				Service: "door", Timeout: 20 * time.Second,
				Replace: map[string]string{"code": tc.code, "payloads": "0", "rtpmap": "a=rtpmap:0 PCMU/8000"}})
			if second.Exit != 0 {
				t.Errorf("the second caller did not get %s: sipp exit %d\n%s", tc.code, second.Exit, second.Messages)
			}
			if ended := p.matching("call ended", nil); len(ended) != 0 {
				t.Errorf("the first call ended with the second caller: %v", ended)
			}
			p.stop(ctx, t) // hangs the first call up
			if r := first.Wait(ctx); r.Exit != 0 {
				t.Errorf("the first call: sipp exit %d\n%s", r.Exit, r.Messages)
			}
		})
	}
}
