package ua

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBusyRefusalsLogSummarised: INVITEs from an admitted source while a
// call is up are refused 486 (busy); the log gets one line for them (the
// rest are summed up later), not one line each.
func TestBusyRefusalsLogSummarised(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	c := from(t, h, "127.0.0.1")
	busy := answers(c, "SIP/2.0 486")
	c.Write([]byte(request("INVITE", h.Addr().String(), c.LocalAddr(), "first", "Content-Type: application/sdp\r\n", offerSDP)))
	h.wait(t, 5*time.Second, "the first call ringing", callIs(CallRinging))
	const n = 40 // within the source's burst: every one is answered
	for i := 0; i < n; i++ {
		c.Write([]byte(request("INVITE", h.Addr().String(), c.LocalAddr(), fmt.Sprintf("busy%d", i), "Content-Type: application/sdp\r\n", offerSDP)))
		want := int64(i + 1)
		waitFor(t, "486", func() bool { return busy.Load() >= want })
	}
	if lines := strings.Count(h.logs.String(), "incoming call refused: busy"); lines > 1 {
		t.Errorf("%d log lines for %d busy refusals from one source, want one (and a summary later)", lines, n)
	}
}
