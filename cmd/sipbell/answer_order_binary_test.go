package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestAnswerSentBeforeTheDoorGoesOnBinary: the door station (the sipbell
// binary, auto_answer) sends its 200 OK before it goes on with what the
// answer is not waiting for (issue 16: the INVITE→200 path): its "call
// from ...: answering" log line comes after the traced 200 for every call.
// Before, the device logged (and lit LEDs, queued history) while the
// call's goroutine waited to be scheduled to send the 200. GOMAXPROCS=1
// makes the order certain.
func TestAnswerSentBeforeTheDoorGoesOnBinary(t *testing.T) {
	t.Parallel()
	const calls = 3
	p := startVoice(t, autoAnswerConfig(t, 1, ""), []string{"env", "GOMAXPROCS=1"}, "-sip-trace")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr,
		Service: "door", Calls: calls, Rate: 10, Timeout: 30 * time.Second, Args: []string{"-l", "1", "-d", "0"}})
	if r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	p.await(ctx, t, "call ended", nil, calls)
	sent, answering := 0, 0
	for _, l := range strings.Split(p.log(), "\n") {
		switch {
		case strings.Contains(l, `"msg":"sip send"`) && strings.Contains(l, "SIP/2.0 200 OK") && strings.Contains(l, "CSeq: 1 INVITE"):
			sent++
		case strings.Contains(l, `: answering"`):
			answering++
			if sent < answering {
				t.Errorf("call %d: the door logged %q before its 200 OK was sent", answering, "answering")
			}
		}
	}
	if answering != calls {
		t.Errorf("%d answering lines, want %d", answering, calls)
	}
}
