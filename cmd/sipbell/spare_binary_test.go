package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestSpareRTPSocketsBinary: the door station (the sipbell binary,
// auto-answer) has the next call's RTP/RTCP pair bound before the INVITE
// comes (issue 16: binding it was a third of the work before the 200):
// the pair is in the process's socket table while it is idle, and the
// call's answer names its port. After the call only the next spare pair
// is left in the RTP range. A configuration change of the range closes
// the old spare (nothing left bound in the old range) and the next call
// answers with a spare port in the new one.
func TestSpareRTPSocketsBinary(t *testing.T) {
	t.Parallel()
	ranges := [2][2]int{{23100, 23199}, {23300, 23399}}
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, autoAnswerConfig(t, 1, "")+fmt.Sprintf("media:\n  rtp_port_min: %d\n  rtp_port_max: %d\n",
		ranges[0][0], ranges[0][1])+fmt.Sprintf("provisioning:\n  state_dir: %s\n  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: %q\n",
		state, liveDoorPassword))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := p.awaitLog(ctx, t, "sip listening", nil)["udp"].(string)
	url := strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")
	pid := p.cmd.Process.Pid

	spare := awaitRTPPair(ctx, t, pid, ranges[0], "a spare pair bound before the first call")
	if got := answeredRTPPort(ctx, t, addr, ranges[0]); got != spare {
		t.Errorf("the call's answer names RTP port %d, want the spare's %d", got, spare)
	}
	p.awaitLog(ctx, t, "call ended", nil)
	next := awaitRTPPair(ctx, t, pid, ranges[0], "only the next spare pair after the call")
	if next == spare {
		t.Errorf("the next spare is the call's port %d", spare)
	}

	d := &liveDoor{url: url, password: liveDoorPassword, client: &http.Client{Timeout: 15 * time.Second}}
	d.set(t, "media", map[string]any{"rtp_port_min": ranges[1][0], "rtp_port_max": ranges[1][1]})
	addr = d.sipAddr(t)
	moved := awaitRTPPair(ctx, t, pid, ranges[1], "a spare pair in the new range")
	for left := rtpPorts(t, pid, ranges[0]); len(left) != 0; left = rtpPorts(t, pid, ranges[0]) {
		select { // the old core's agent may still be on its way out
		case <-ctx.Done():
			t.Fatalf("ports %v still bound in the old range %v", left, ranges[0])
		case <-time.After(20 * time.Millisecond):
		}
	}
	if got := answeredRTPPort(ctx, t, addr, ranges[1]); got != moved {
		t.Errorf("after the change the call's answer names RTP port %d, want the spare's %d in %v", got, moved, ranges[1])
	}
}

// answeredRTPPort has sipp place one call at the door and returns the
// RTP port its answer names (the m=audio port in rng: sipp's own is not).
func answeredRTPPort(ctx context.Context, t *testing.T, addr string, rng [2]int) int {
	t.Helper()
	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr,
		Service: "door", Calls: 1, Timeout: 30 * time.Second, Args: []string{"-d", "0"}})
	if r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	for _, m := range regexp.MustCompile(`m=audio (\d+) `).FindAllStringSubmatch(r.Messages, -1) {
		if port, _ := strconv.Atoi(m[1]); port >= rng[0] && port <= rng[1] {
			return port
		}
	}
	t.Fatalf("no answer with an RTP port in %v:\n%s", rng, r.Messages)
	return 0
}

// awaitRTPPair waits until the process's UDP sockets in rng are exactly
// one RTP/RTCP pair (an even port and the next) and returns the RTP port.
func awaitRTPPair(ctx context.Context, t *testing.T, pid int, rng [2]int, what string) int {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ports := rtpPorts(t, pid, rng)
		if len(ports) == 2 && ports[0]%2 == 0 && ports[1] == ports[0]+1 {
			return ports[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("never %s: the process's UDP ports in %v are %v", what, rng, ports)
		case <-tick.C:
		}
	}
}

// rtpPorts lists, in order, the local ports in rng of the UDP sockets
// process pid holds (its descriptors' socket inodes in its network
// namespace's /proc tables).
func rtpPorts(t *testing.T, pid int, rng [2]int) []int {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatalf("descriptors of sipbell: %v", err)
	}
	inodes := map[string]bool{}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			_, hex, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseInt(hex, 16, 32)
			if err == nil && int(port) >= rng[0] && int(port) <= rng[1] {
				ports = append(ports, int(port))
			}
		}
		f.Close()
	}
	slices.Sort(ports)
	return ports
}
