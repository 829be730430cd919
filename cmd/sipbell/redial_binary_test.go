package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestBackToBackCallsBinary: a caller that calls the door station (the
// sipbell binary, sip.max_calls 1) again the moment its BYE is answered
// (sipp -l 1: each call starts when the previous one has ended) is
// answered every time (sipp fails a call without its 200), never 486 Busy
// Here or 480.
func TestBackToBackCallsBinary(t *testing.T) {
	t.Parallel()
	const calls = 30
	// The calls come faster than a caller would: the source limits are raised.
	p := startVoice(t, autoAnswerConfig(t, 2, "  limits: {source_rate: 1000, source_burst: 1000}\n"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr,
		Service: "door", Calls: calls, Rate: 1000, Timeout: 60 * time.Second,
		Args: []string{"-l", "1", "-d", "0"}})
	if r.Exit != 0 {
		t.Errorf("back-to-back calls: sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	for _, code := range []string{"486", "480"} {
		if n := strings.Count(r.Messages, "SIP/2.0 "+code); n > 0 {
			t.Errorf("%d of %d back-to-back calls got %s", n, calls, code)
		}
	}
	p.stop(ctx, t)
}
