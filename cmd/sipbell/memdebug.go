//go:build memdebug

package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"syscall"
)

// A build with -tags memdebug (never the release) writes the runtime's
// memory metrics and a heap profile into $SIPBELL_MEMDEBUG_DIR on each
// SIGUSR1: BenchmarkMemoryInCall's accounting (issue 16). Before the
// profile it collects garbage twice, so the profile's in-use figures are
// the live heap; the metrics are taken first, as they were. SIGUSR2
// calls debug.FreeOSMemory (and releaseStartupPages when
// SIPBELL_MEMDEBUG_FREE=pages); with SIPBELL_MEMDEBUG_FREE set (the bench
// uses SIGUSR2) allocations are not profiled. Every
// allocation after package main's initialisation is sampled.
func init() {
	dir := os.Getenv("SIPBELL_MEMDEBUG_DIR")
	if dir == "" {
		return
	}
	runtime.MemProfileRate = 1
	if os.Getenv("SIPBELL_MEMDEBUG_FREE") != "" {
		runtime.MemProfileRate = 0 // the profiler's tables would be most of what is freed
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for n := 1; ; n++ {
			if <-c == syscall.SIGUSR2 { // what debug.FreeOSMemory gives back
				debug.FreeOSMemory()
				if os.Getenv("SIPBELL_MEMDEBUG_FREE") == "pages" {
					releaseStartupPages(slog.Default())
				}
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("done-%d", n)), nil, 0o644)
				continue
			}
			writeMemMetrics(filepath.Join(dir, fmt.Sprintf("metrics-%d.txt", n)))
			runtime.GC()
			runtime.GC()
			if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", n))); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("done-%d", n)), nil, 0o644)
		}
	}()
}

// writeMemMetrics writes every /memory, /gc and /sched metric of one
// sample as "name value" lines.
func writeMemMetrics(path string) {
	var s []metrics.Sample
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 {
			s = append(s, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(s)
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	for _, m := range s {
		fmt.Fprintf(f, "%s %d\n", m.Name, m.Value.Uint64())
	}
}
