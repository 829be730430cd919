package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestSTUNToLiveCallsRTPPort: while a door call to bob (a real baresip)
// is connected, coturn's STUN client sends a binding request to the RTP
// port sipbell offered: it gets a binding success naming its own address
// (as a softphone's ICE check or keep-alive would), and the call's media
// statistics at the end count it as STUN, not as a rejected packet.
func TestSTUNToLiveCallsRTPPort(t *testing.T) {
	t.Parallel()
	stunclient := requireTool(t, "turnutils_stunclient", "coturn")
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob"})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  allow_from: [127.0.0.1]
board:
  profile: sim
device:
  buttons:
    - targets: ["%s"]
      ring_timeout: 30s
`, bob.URI), "-sip-trace")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	press(t, p, 1)
	port := offeredRTPPort(t, p)
	if err := bob.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, stunclient, "-p", strconv.Itoa(port), "127.0.0.1").CombinedOutput()
	t.Logf("turnutils_stunclient to sipbell's RTP port %d:\n%s", port, out)
	if err != nil || !strings.Contains(string(out), "127.0.0.1:") {
		t.Fatalf("no binding success from the RTP port (%v)", err)
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	m := p.await(t, "call media")
	t.Logf("call media: %v", m)
	if m["stun"] != float64(1) || m["rejected"] != float64(0) {
		t.Errorf("call media stats stun=%v rejected=%v, want 1 and 0", m["stun"], m["rejected"])
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

var mAudio = regexp.MustCompile(`(?m)^m=audio (\d+) `)

// offeredRTPPort returns the RTP port of the first INVITE sipbell sends
// (its SIP trace line carries the message as "msg", after the record's).
func offeredRTPPort(t *testing.T, p *proc) int {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatal("sipbell exited before sending an INVITE")
			}
			msg, _ := m["msg"].(string)
			if !strings.HasPrefix(msg, "INVITE ") {
				continue
			}
			if sm := mAudio.FindStringSubmatch(msg); sm != nil {
				n, _ := strconv.Atoi(sm[1])
				return n
			}
		case <-deadline:
			t.Fatal("no INVITE with SDP in sipbell's SIP trace")
		}
	}
}
