package ua

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/ua/media"
)

// BenchmarkAnswerPath is one auto-answered call over a real UDP socket:
// INVITE → 100/180/200 → ACK → BYE → 200, the UA answering at once
// (auto_answer, delay 0) and opening its RTP sockets. ns/op and allocs/op
// are the whole exchange (every goroutine of the process); the INVITE→200
// figures (median and max, µs) time the answer path alone. media= is what
// runs RTP (benchMedia): the device's media.Manager with its spare sockets
// bound ahead of the call, the same binding them in the call, or the UA's
// default port reservation (one socket, no audio):
//
//	go test -run '^$' -bench AnswerPath -benchtime 500x ./ua
func BenchmarkAnswerPath(b *testing.B) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		for _, m := range benchMedia {
			b.Run(fmt.Sprintf("procs=%d/media=%s", procs, m.name), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				benchAnswer(b, 0, m.opts()...)
			})
		}
	}
}

// BenchmarkAnswerPathIdle is BenchmarkAnswerPath with the UA idle for
// 200 ms before each call, as under make bench's 5 calls a second: the
// INVITE→200 figures then count the idle process's wake-up and its cold
// caches, which back-to-back calls hide (the shared 2-core test machine:
// medians 0.6-0.8 ms idle against 0.13-0.28 ms back to back):
//
//	go test -run '^$' -bench AnswerPathIdle -benchtime 100x ./ua
func BenchmarkAnswerPathIdle(b *testing.B) {
	for _, m := range benchMedia {
		b.Run("media="+m.name, func(b *testing.B) { benchAnswer(b, 200*time.Millisecond, m.opts()...) })
	}
}

// benchMedia are the media handlers the answer benchmarks compare.
var benchMedia = []struct {
	name string
	opts func() []Option
}{
	{"spare", func() []Option {
		return []Option{WithMedia(managerMedia{media.NewManager(media.DefaultConfig(), nil, nil)})}
	}},
	{"bind", func() []Option {
		return []Option{WithMedia(bindingMedia{managerMedia{media.NewManager(media.DefaultConfig(), nil, nil)}})}
	}},
	{"port", func() []Option { return nil }},
}

// benchAnswer times b.N auto-answered calls, each after idle.
func benchAnswer(b *testing.B, idle time.Duration, opts ...Option) {
	h, conn := benchCaller(b, opts...)
	addr := h.Addr().String()
	lat := make([]time.Duration, 0, b.N)
	buf := make([]byte, 65536)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if idle > 0 {
			b.StopTimer()
			time.Sleep(idle)
			b.StartTimer()
		}
		id := fmt.Sprintf("ans%d-%d", i, time.Now().UnixNano())
		inv := request("INVITE", addr, conn.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP)
		t0 := time.Now()
		ok := benchExchange(b, conn, buf, inv, "SIP/2.0 200")
		lat = append(lat, time.Since(t0))
		to := headerValue(ok, "To")
		fmt.Fprint(conn, benchACK(addr, conn.LocalAddr(), id, to))
		benchExchange(b, conn, buf, benchBYE(addr, conn.LocalAddr(), id, to), "SIP/2.0 200")
		for len(h.Calls()) != 0 { // the door takes one call at a time
			runtime.Gosched()
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "µs-invite-to-200-median")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds())/1000, "µs-invite-to-200-max")
}
