package main

import (
	"context"
	"fmt"
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
	bin := benchBinary(b)
	for range b.N {
		k := interop.StartKamailio(b, interop.KamailioOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		u := startBenchSipbell(ctx, b, k, bin)
		peer := startRTPPeer(b)
		r := interop.RunSipp(ctx, b, interop.SippOptions{Scenario: benchScenarioFile(b), Remote: u.sip, Service: u.user,
			Calls: envInt("SIPBELL_BENCH_CALLS", 300), Rate: 5, Timeout: 3 * time.Minute, Args: []string{"-l", "1"},
			Replace: map[string]string{"rtp": fmt.Sprint(peer.port), "hold": "20"}})
		peer.close()
		cancel()
		for _, st := range []string{"100", "180", "200"} {
			gaps := inviteTo(r.Messages, st)
			if len(gaps) == 0 {
				b.Fatalf("no %s received (sipp exit %d)", st, r.Exit)
			}
			b.ReportMetric(median(gaps)*1000, "µs-invite-to-"+st+"-median")
			b.ReportMetric(maxOf(gaps)*1000, "µs-invite-to-"+st+"-max")
			if st == "200" {
				b.ReportMetric(float64(len(gaps)), "calls")
			}
		}
	}
}
