package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/internal/netrelay"
)

// voiceNetnsEnv marks the copy of the test binary that runs inside the
// network namespace.
const voiceNetnsEnv = "VOICE_NETNS"

// voiceRTPPort is sipbell's RTP port inside the namespace (the namespace
// is the test's own, so a fixed port cannot collide).
const voiceRTPPort = 40000

// TestVoiceImpairedNetwork feeds sipbell's jitter buffer through a bad
// network: baresip's RTP reaches the sipbell binary through
// internal/netrelay (20 ms delay, 60 ms jitter, 5% reordered by 60 ms,
// 5% duplicated) and then nftables drops 5% of it (the kernel here has no
// netem). Audio must go on, and the call's media statistics that sipbell
// logs at the end must match what was injected.
//
// Routing: sipbell and baresip announce their own RTP ports in SDP. Inside
// a network namespace of the test's own (loopback only), nftables DNAT
// sends each side's RTP to the relay's socket for it; conntrack rewrites
// the relay's replies so each side sees its peer's address (no latching
// surprise), and a counting drop rule on sipbell's RTP port is the loss.
// The whole test re-runs itself inside the namespace (ip netns exec), so
// baresip, sipbell and the relay share its loopback.
func TestVoiceImpairedNetwork(t *testing.T) {
	if os.Getenv(voiceNetnsEnv) != "" {
		impairedCall(t)
		return
	}
	t.Parallel()
	interop.Need(t, "baresip", "baresip-core")
	interop.Need(t, "nft", "nftables")
	rerunInNetns(t, voiceNetnsEnv, "TestVoiceImpairedNetwork", 90*time.Second)
}

// impairedCall is the test proper, run inside the namespace.
func impairedCall(t *testing.T) {
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice"}) // answered by hand, once the relay is in place
	b.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, voiceConfig(mic, speaker, fmt.Sprintf(
		"media:\n  rtp_port_min: %d\n  rtp_port_max: %d\ndevice:\n  buttons:\n    - targets: [%q]\n",
		voiceRTPPort, voiceRTPPort+1, b.URI)), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)
	p.press(t, 1)
	if err := b.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	// baresip has bound its RTP socket for the call: find it.
	bRTP := rtpPortOf(t, b.Pid(), sipPort(t, b.SIP))
	sAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), voiceRTPPort)
	bAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(bRTP))
	imp := netrelay.Impairment{Delay: 20 * time.Millisecond, Jitter: 60 * time.Millisecond,
		Reorder: 0.05, ReorderBy: 60 * time.Millisecond, Duplicate: 0.05}
	relay, err := netrelay.New(netrelay.Config{BtoA: imp, Seed: 5}, sAddr, bAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	ra, rb := relay.AddrForA().Port(), relay.AddrForB().Port()
	s, x := voiceRTPPort, bRTP
	nftRules(t, fmt.Sprintf(`table ip voice {
  chain out {
    type filter hook output priority -300; policy accept;
    udp sport %d udp dport %d notrack udp dport set %d
    udp sport %d udp dport %d notrack udp dport set %d
    udp sport %d udp dport %d notrack udp sport set %d
    udp sport %d udp dport %d notrack udp sport set %d
  }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport %d counter
    udp dport %d numgen random mod 100 < 5 counter drop
  }
}
`, x, s, rb, s, x, ra, ra, s, x, rb, x, s, s, s))
	if _, err := b.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	waitFileSize(ctx, t, speaker, wavBytes(11), "sipbell's speaker")
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	st := p.await(ctx, t, "call media", nil, 1)
	p.stop(ctx, t)
	arrived, dropped := nftCounters(t)
	if out, err := exec.Command("nft", "list", "ruleset").CombinedOutput(); err == nil {
		t.Logf("nftables:\n%s", out)
	}
	_, toS := relay.Stats()
	t.Logf("relay baresip→sipbell %+v; nftables: %d arrived at sipbell's port, %d of them dropped", toS, arrived, dropped)
	t.Logf("sipbell's call media: %v", st)
	checkImpairedStats(t, st, toS, arrived, dropped)

	// Audio goes on: concealment fills the losses, the rest is faithful.
	rep := analyseVoice(voiceCycle(), readWAV(t, speaker))
	t.Logf("sipbell heard: %s", rep)
	if rep.Steady == 0 || float64(rep.Covered) < 0.75*float64(rep.Steady) {
		t.Errorf("only %d of %d steady frames are faithful copies: the audio did not go on", rep.Covered, rep.Steady)
	}
	// A silent stretch mid-call: concealment fades out over a burst of
	// losses (three or four frames in a row happen at 5% plus late
	// packets), but a stream that stopped would be silent for long.
	heard := readWAV(t, speaker)
	first, last := -1, 0 // the call's audio: first and last sound
	for i := 0; i+voiceFrame <= len(heard); i += voiceFrame {
		if rms(heard[i:i+voiceFrame]) >= 100 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	silent, total, longest := 0, 0, 0
	for i := first + 4000; i+voiceFrame <= last-4000; i += voiceFrame {
		if rms(heard[i:i+voiceFrame]) < 100 {
			silent++
			total++
			longest = max(longest, silent)
		} else {
			silent = 0
		}
	}
	t.Logf("mid-call silence: %d frames, the longest stretch %d frames", total, longest)
	if concealed, _ := st["concealed"].(float64); longest > 10 || float64(total) > concealed {
		t.Errorf("%d silent frames mid-call (%d in a row; %v concealed): the audio did not go on", total, longest, st["concealed"])
	}
}

// checkImpairedStats compares sipbell's statistics with what the relay and
// nftables did to the stream.
func checkImpairedStats(t *testing.T, st map[string]any, relay netrelay.DirStats, arrived, dropped int) {
	t.Helper()
	num := func(k string) float64 { v, _ := st[k].(float64); return v }
	received, lost, dup := num("received"), num("lost"), num("duplicate")
	late, concealed, jitter := num("late"), num("concealed"), num("jitter_ms")
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.0f, want %.0f ± %.0f", name, got, want, tol)
		}
	}
	// Every packet that got past nftables was counted (a few may still
	// have been in flight when the call ended).
	near("received", received, float64(arrived-dropped), 8)
	// Lost: what nftables dropped, less the drops a duplicate made good.
	near("lost", lost, float64(dropped), 3+0.2*float64(dropped))
	near("duplicate", dup, float64(relay.Duplicated), 3+0.2*float64(relay.Duplicated))
	// Each lost packet is a concealed frame; late ones may add more, but
	// a buffer that conceals far more than it lost is not adapting.
	if concealed < lost-3 || concealed > lost+late+0.03*received+5 {
		t.Errorf("concealed = %.0f frames, want about lost (%.0f) + late (%.0f)", concealed, lost, late)
	}
	// RFC 3550 jitter of a uniform 0-60 ms delay is E|X-Y| = 20 ms; the
	// reordered 5% add a little.
	if jitter < 12 || jitter > 40 {
		t.Errorf("jitter_ms = %.1f, want about 20-30 for 60 ms of uniform jitter", jitter)
	}
	if late > 0.1*received {
		t.Errorf("late = %.0f of %.0f: the buffer did not grow to cover the jitter", late, received)
	}
}

// nftRules loads an nftables ruleset into the current namespace.
func nftRules(t *testing.T, rules string) {
	t.Helper()
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s\n%s", err, out, rules)
	}
}

// nftCounters reads the two input counters: packets that reached
// sipbell's RTP port, and those dropped.
func nftCounters(t *testing.T) (arrived, dropped int) {
	t.Helper()
	out, err := exec.Command("nft", "list", "chain", "ip", "voice", "in").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	var counts []int
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "packets" {
				n, _ := strconv.Atoi(f[i+1])
				counts = append(counts, n)
			}
		}
	}
	if len(counts) != 2 {
		t.Fatalf("nft counters: %v in\n%s", counts, out)
	}
	return counts[0], counts[1]
}

func sipPort(t *testing.T, addr string) int {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return int(ap.Port())
}

// rtpPortOf finds the RTP port of process pid: the even UDP port, other
// than its SIP port, whose odd neighbour it also holds (RTCP). It reads
// the process's socket inodes and this namespace's /proc/net/udp.
func rtpPortOf(t *testing.T, pid, sip int) int {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ports := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 10 || !inodes[fs[9]] {
			continue
		}
		if i := strings.LastIndex(fs[1], ":"); i > 0 {
			if p, err := strconv.ParseInt(fs[1][i+1:], 16, 32); err == nil {
				ports[int(p)] = true
			}
		}
	}
	for p := range ports {
		if p != sip && p%2 == 0 && ports[p+1] {
			t.Logf("baresip's UDP ports %v: RTP %d", ports, p)
			return p
		}
	}
	t.Fatalf("no RTP port among baresip's UDP ports %v", ports)
	return 0
}
