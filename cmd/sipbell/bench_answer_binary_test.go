package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// BenchmarkAnswerBinary is the INVITE→200 part of BenchmarkSideBySide for
// sipbell alone (issue 16): the binary auto-answers sipp's PCMU calls,
// one at a time at 5 a second, registered with Kamailio, with its event
// history and media on; it reports the median and max in µs. It asserts
// nothing about speed:
//
//	go test -run '^$' -bench AnswerBinary -benchtime 1x ./cmd/sipbell/
//
// SIPBELL_BENCH_BIN names a prebuilt sipbell (another build to compare);
// SIPBELL_BENCH_CALLS (default 300) the calls.
func BenchmarkAnswerBinary(b *testing.B) {
	bin := os.Getenv("SIPBELL_BENCH_BIN")
	if bin == "" {
		bin = binary(b)
	}
	for range b.N {
		k := interop.StartKamailio(b, interop.KamailioOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		u := startBenchSipbell(ctx, b, k, bin)
		u.latency(ctx, b, envInt("SIPBELL_BENCH_CALLS", 300))
		cancel()
		if len(u.inv200) == 0 {
			b.Fatal("no call answered")
		}
		b.ReportMetric(median(u.inv200)*1000, "µs-invite-to-200-median")
		b.ReportMetric(maxOf(u.inv200)*1000, "µs-invite-to-200-max")
		b.ReportMetric(float64(len(u.inv200)), "calls")
	}
}
