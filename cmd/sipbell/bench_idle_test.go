package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// BenchmarkIdle measures a registered sipbell that has nothing to do
// (issue 16: a door station and an on-hook phone should make at most one
// voluntary context switch per second over all threads). Each case
// starts Kamailio and the sipbell binary, takes start→registered (the
// second REGISTER Kamailio logs; the first is challenged), lets start-up
// settle (idleSettle) and counts the switches over SIPBELL_IDLE_SECONDS
// (default 30). It prints a line per case and the busiest threads; it
// asserts nothing about speed (SIPBELL_IDLE_STRACE and SIPBELL_IDLE_PERF
// record what woke it):
//
//	go test -run '^$' -bench Idle -benchtime 1x ./cmd/sipbell/
//
// SIPBELL_BENCH_BIN names a prebuilt sipbell, as for BenchmarkSideBySide.
func BenchmarkIdle(b *testing.B) {
	secs := envInt("SIPBELL_IDLE_SECONDS", 30)
	bin := benchBinary(b)
	cases := []struct{ name, mode, keepAlive string }{
		{"door", "door", ""},
		{"door-keepalive30s", "door", "30s"},
		{"phone", "ata", ""},
		{"phone-keepalive30s", "ata", "30s"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				k := interop.StartKamailio(b, interop.KamailioOptions{})
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				pid, reg := startIdleSipbell(ctx, b, k, bin, c.mode, c.keepAlive)
				sleepCtx(ctx, idleSettle)
				stop := straceIdle(b, pid, c.name)
				stopPerf := perfIdle(b, pid, c.name)
				t0 := threadSwitches(pid)
				s0 := sampleProc(pid)
				sleepCtx(ctx, time.Duration(secs)*time.Second)
				s1 := sampleProc(pid)
				t1 := threadSwitches(pid)
				stop()
				stopPerf()
				cancel()
				w := s1.at.Sub(s0.at).Seconds()
				b.ReportMetric(float64(s1.vcs-s0.vcs)/w, "switches/s")
				b.ReportMetric(float64(reg.Microseconds())/1000, "ms-start-to-registered")
				fmt.Printf("%s: %.2f voluntary switches/s over %.0f s, registered %.1f ms after start; by thread: %s\n",
					c.name, float64(s1.vcs-s0.vcs)/w, w, float64(reg.Microseconds())/1000, busiest(t0, t1, w))
			}
		})
	}
}

// idleSettle is the wait from registered to the count: past the heap
// trim the binary makes once, trimQuiet after its start (trim.go), a
// collection and a release of memory whose 30-50 switches are start-up's,
// not idle's. At 5 s it fell now in the window and now before it.
const idleSettle = trimQuiet + 3*time.Second

// startIdleSipbell starts the binary registered with k in device mode
// mode (door or ata) on the simulated board, with sip.keep_alive set
// when keepAlive is not empty, and returns its pid and start→registered.
func startIdleSipbell(ctx context.Context, b *testing.B, k *interop.Kamailio, bin, mode, keepAlive string) (int, time.Duration) {
	b.Helper()
	dir := b.TempDir()
	user, extra := "door", ""
	if mode == "ata" {
		user, extra = "alice", "  mode: ata\n"
	}
	ka := ""
	if keepAlive != "" {
		ka = "  keepalive: " + keepAlive + "\n"
	}
	text := fmt.Sprintf(`sip:
  listen: 127.0.0.1:%d
  user: %s
%s  accounts:
    - registrar: %s
      user: %s
      password: %s
board:
  profile: sim
device:
%s  auto_answer: true
audio:
  capture: silence
  playback: discard
provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:%d
`, interop.FreePort(b), user, ka, k.UDP, user, interop.Password, extra, filepath.Join(dir, "state"), interop.FreePort(b))
	if mode == "ata" {
		text = strings.Replace(text, "  auto_answer: true\n", "", 1)
	}
	return runBenchSipbell(ctx, b, k, bin, dir, text)
}

// straceIdle, when SIPBELL_IDLE_STRACE names a directory, records every
// system call of pid (all threads) into it until the returned stop is
// called: where the wake-ups come from. It is a diagnosis aid; strace's
// own cost shows in the figures of that run.
func straceIdle(b *testing.B, pid int, name string) (stop func()) {
	dir := os.Getenv("SIPBELL_IDLE_STRACE")
	if dir == "" {
		return func() {}
	}
	cmd := exec.Command("strace", "-f", "-tt", "-p", fmt.Sprint(pid), "-o", filepath.Join(dir, name+".strace"))
	if err := cmd.Start(); err != nil {
		b.Fatalf("strace: %v", err)
	}
	return func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
}

// perfIdle, when SIPBELL_IDLE_PERF names a directory, records every
// context switch of pid with its stack (perf record -e
// sched:sched_switch -g) into it until the returned stop is called: which
// thread blocked where (sysmon's usleep, the netpoller's epoll_pwait),
// check by check (perf script -i DIR/NAME.perf). A diagnosis aid, like
// straceIdle, at a smaller cost to the figures.
func perfIdle(b *testing.B, pid int, name string) (stop func()) {
	dir := os.Getenv("SIPBELL_IDLE_PERF")
	if dir == "" {
		return func() {}
	}
	cmd := exec.Command("perf", "record", "-q", "-e", "sched:sched_switch", "-g", "-p", fmt.Sprint(pid), "-o", filepath.Join(dir, name+".perf"))
	if err := cmd.Start(); err != nil {
		b.Fatalf("perf: %v", err)
	}
	return func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
}

// threadSwitches maps each thread of pid (by id and name) to its
// voluntary context switches.
func threadSwitches(pid int) map[string]int64 {
	out := map[string]int64{}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, t := range tasks {
		name, _ := os.ReadFile(filepath.Join(t, "comm"))
		out[filepath.Base(t)+"/"+strings.TrimSpace(string(name))] = int64(statusKB(filepath.Join(t, "status"), "voluntary_ctxt_switches"))
	}
	return out
}

// busiest lists the threads that switched between t0 and t1, most first.
func busiest(t0, t1 map[string]int64, secs float64) string {
	type th struct {
		id string
		n  int64
	}
	var l []th
	for id, n := range t1 {
		if d := n - t0[id]; d > 0 {
			l = append(l, th{id, d})
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].n > l[j].n })
	var s []string
	for _, t := range l {
		s = append(s, fmt.Sprintf("%s %.2f/s", t.id, float64(t.n)/secs))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
