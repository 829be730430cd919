package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// BenchmarkMemoryInCall accounts for the door station's memory (issue
// 16): the release binary (SIPBELL_BENCH_BIN, as scripts/bench.sh passes
// it) registers with Kamailio and answers SIPBELL_BENCH_REPS (default 3)
// of make bench's sipp calls of SIPBELL_BENCH_SECONDS (default 5); it
// prints /proc/PID/smaps by kind of mapping (the binary's text, rodata
// and data, the Go heap, stacks, runtime metadata) idle, at each call's
// peak of anonymous memory and after the call, and the runtime's last
// GC trace line (GODEBUG=gctrace=1: live heap, goal, stacks). A binary
// built without -ldflags -s (the release's layout, with its symbol
// table) also gets its resident code attributed to packages, idle and
// after the calls (bench_pages_test.go). SIPBELL_BENCH_PERF=FILE records
// the process's page faults through the calls with their addresses
// (perf record -e page-faults -d): what maps each page. It asserts
// nothing:
//
//	SIPBELL_BENCH_BIN=/tmp/sipbell go test -run '^$' -bench MemoryInCall -benchtime 1x ./cmd/sipbell/
func BenchmarkMemoryInCall(b *testing.B) {
	e := newBenchEnv(b, 5)
	b.Setenv("GODEBUG", strings.TrimPrefix(os.Getenv("GODEBUG")+",gctrace=1", ","))
	md := memDebug{dir: os.Getenv("SIPBELL_MEMDEBUG")}
	b.Setenv("SIPBELL_MEMDEBUG_DIR", md.dir)
	e.rounds(b, func(ctx context.Context, k *interop.Kamailio) {
		ua := startBenchSipbell(ctx, b, k, e.bin)
		sleepCtx(ctx, 5*time.Second)
		fmt.Printf("sipbell %s, pid %d\n", e.bin, ua.pid)
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", ua.pid))
		printSmaps(os.Stdout, "idle", readSmaps(ua.pid, exe))
		md.snapshot(ctx, b, ua.pid, "idle")
		syms, err := binarySymbols(exe)
		if err != nil {
			b.Logf("no code attribution: %v", err)
		}
		pages := func(when string) {
			if len(syms) == 0 {
				return // stripped
			}
			pkgs, err := residentCode(ua.pid, exe, syms)
			if err != nil {
				b.Fatal(err)
			}
			printResidentCode(os.Stdout, when, pkgs, envInt("SIPBELL_BENCH_PACKAGES", 40))
		}
		pages("idle")
		stopPerf := perfFaults(b, ua.pid, os.Getenv("SIPBELL_BENCH_PERF"))
		for i := range e.reps {
			peak := memCall(ctx, b, k, ua, e.secs)
			printSmaps(os.Stdout, fmt.Sprintf("call %d peak", i+1), peak)
			if i == e.reps-1 {
				md.snapshot(ctx, b, ua.pid, "call end")
			}
			sleepCtx(ctx, 2*time.Second)
			printSmaps(os.Stdout, fmt.Sprintf("after call %d", i+1), readSmaps(ua.pid, exe))
			if md.free(ctx, b, ua.pid) {
				printSmaps(os.Stdout, "FreeOSMemory", readSmaps(ua.pid, exe))
			}
		}
		stopPerf()
		md.snapshot(ctx, b, ua.pid, "after calls")
		pages("after calls")
		logPath, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/2", ua.pid))
		fmt.Println("last GC:", lastGCTrace(logPath))
	})
}

// memCall is benchUA.call's call, sampling smaps: the sample with the
// most anonymous memory.
func memCall(ctx context.Context, b *testing.B, k *interop.Kamailio, u *benchUA, secs int) smapsSum {
	b.Helper()
	peer := startRTPPeer(b)
	defer peer.close()
	wait := u.startCall(ctx, b, k, peer, secs+2)
	bin, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", u.pid))
	var peak smapsSum
	sampleFor(secs, func() {
		if s := readSmaps(u.pid, bin); s.total().anon >= peak.total().anon {
			peak = s
		}
	})
	wait()
	return peak
}

// smapsKinds orders the kinds of mapping printSmaps shows.
var smapsKinds = []string{"text", "rodata", "data", "bss", "heap", "stack", "metadata", "other anon", "other"}

// memKB is one kind's resident and anonymous kB.
type memKB struct{ rss, anon int }

// smapsSum is /proc/PID/smaps summed by kind of mapping.
type smapsSum map[string]memKB

func (s smapsSum) total() memKB {
	var t memKB
	for _, v := range s {
		t.rss, t.anon = t.rss+v.rss, t.anon+v.anon
	}
	return t
}

// readSmaps sums /proc/PID/smaps by kind: the binary's mappings by
// permission, the Go runtime's anonymous mappings by their name (Go
// names them "[anon: Go: heap]" and so on where the kernel can), the
// anonymous mapping right after the binary's data as its bss.
func readSmaps(pid int, bin string) smapsSum {
	out := smapsSum{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	kind, prevBin := "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			path := strings.Join(fields[5:], " ")
			kind = mappingKind(fields[1], path, bin, prevBin)
			prevBin = path == bin || (prevBin && kind == "bss")
			continue
		}
		if len(fields) < 2 || (fields[0] != "Rss:" && fields[0] != "Anonymous:") {
			continue
		}
		var n int
		fmt.Sscan(fields[1], &n)
		m := out[kind]
		if fields[0] == "Rss:" {
			m.rss += n
		} else {
			m.anon += n
		}
		out[kind] = m
	}
	return out
}

func mappingKind(perms, path, bin string, afterBin bool) string {
	switch {
	case path == bin && strings.Contains(perms, "x"):
		return "text"
	case path == bin && strings.Contains(perms, "w"):
		return "data"
	case path == bin:
		return "rodata"
	case path == "" && afterBin:
		return "bss"
	case strings.Contains(path, "Go: heap"):
		return "heap"
	case strings.Contains(path, "stack"):
		return "stack"
	case strings.Contains(path, "Go:"):
		return "metadata"
	case path == "" || strings.HasPrefix(path, "[anon"):
		return "other anon"
	}
	return "other"
}

func printSmaps(w io.Writer, when string, s smapsSum) {
	fmt.Fprintf(w, "%-14s", when)
	t := s.total()
	fmt.Fprintf(w, " total %5d/%5d", t.rss, t.anon)
	for _, k := range smapsKinds {
		if v, ok := s[k]; ok && v.rss > 0 {
			fmt.Fprintf(w, "  %s %d/%d", k, v.rss, v.anon)
		}
	}
	fmt.Fprintln(w, "  (kB rss/anon)")
}

// lastGCTrace is the last "gc N @..." line the runtime wrote to the log.
func lastGCTrace(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := slices.DeleteFunc(strings.Split(string(b), "\n"), func(l string) bool { return !strings.HasPrefix(l, "gc ") })
	if len(lines) == 0 {
		return "none"
	}
	return lines[len(lines)-1]
}

// memDebug asks a -tags memdebug build for the runtime's metrics and a
// heap profile (memdebug.go) into dir and prints the memory classes.
// SIPBELL_MEMDEBUG=DIR says the binary is one (SIGUSR1 ends any other).
type memDebug struct {
	dir string
	n   int
}

// memClasses are the runtime/metrics printed, short names first.
var memClasses = [][2]string{
	{"objects", "/memory/classes/heap/objects:bytes"}, {"unused", "/memory/classes/heap/unused:bytes"},
	{"free", "/memory/classes/heap/free:bytes"}, {"released", "/memory/classes/heap/released:bytes"},
	{"stacks", "/memory/classes/heap/stacks:bytes"}, {"os-stacks", "/memory/classes/os-stacks:bytes"},
	{"mspan", "/memory/classes/metadata/mspan/inuse:bytes"}, {"meta-other", "/memory/classes/metadata/other:bytes"},
	{"buckets", "/memory/classes/profiling/buckets:bytes"}, {"other", "/memory/classes/other:bytes"},
	{"total", "/memory/classes/total:bytes"}, {"goal", "/gc/heap/goal:bytes"},
	{"gcs", "/gc/cycles/total:gc-cycles"}, {"allocs", "/gc/heap/allocs:bytes"},
	{"goroutines", "/sched/goroutines:goroutines"},
}

// free has the binary call debug.FreeOSMemory when SIPBELL_MEMDEBUG_FREE
// is set, and says whether it did.
func (m *memDebug) free(ctx context.Context, b *testing.B, pid int) bool {
	b.Helper()
	if m.dir == "" || os.Getenv("SIPBELL_MEMDEBUG_FREE") == "" {
		return false
	}
	m.signal(ctx, b, pid, syscall.SIGUSR2)
	return true
}

// signal sends sig and waits for the binary's done file.
func (m *memDebug) signal(ctx context.Context, b *testing.B, pid int, sig syscall.Signal) {
	b.Helper()
	m.n++
	if err := syscall.Kill(pid, sig); err != nil {
		b.Fatal(err)
	}
	done := filepath.Join(m.dir, fmt.Sprintf("done-%d", m.n))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, err := os.Stat(done); err != nil; _, err = os.Stat(done) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			b.Fatalf("no memdebug answer %d from %d", m.n, pid)
		}
	}
}

func (m *memDebug) snapshot(ctx context.Context, b *testing.B, pid int, when string) {
	b.Helper()
	if m.dir == "" {
		return
	}
	m.signal(ctx, b, pid, syscall.SIGUSR1)
	text, _ := os.ReadFile(filepath.Join(m.dir, fmt.Sprintf("metrics-%d.txt", m.n)))
	vals := map[string]uint64{}
	for _, l := range strings.Split(string(text), "\n") {
		var k string
		var v uint64
		if _, err := fmt.Sscan(l, &k, &v); err == nil {
			vals[k] = v
		}
	}
	fmt.Printf("%-14s runtime:", when)
	for _, c := range memClasses {
		if strings.HasSuffix(c[1], ":bytes") {
			fmt.Printf(" %s %d", c[0], vals[c[1]]>>10)
		} else {
			fmt.Printf(" %s %d", c[0], vals[c[1]])
		}
	}
	fmt.Printf(" (kB); heap profile %s\n", filepath.Join(m.dir, fmt.Sprintf("heap-%d.pprof", m.n)))
}

// perfFaults starts perf recording pid's page faults into out, if out is
// set; stop ends it and waits for the file.
func perfFaults(b *testing.B, pid int, out string) (stop func()) {
	b.Helper()
	if out == "" {
		return func() {}
	}
	cmd := exec.Command("perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-o", out, "-p", fmt.Sprint(pid))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
}
