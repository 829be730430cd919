package ua

import (
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkAnswerPath is one auto-answered call over a real UDP socket:
// INVITE → 100/180/200 → ACK → BYE → 200, the UA answering at once
// (auto_answer, delay 0) and opening its RTP socket. ns/op and allocs/op
// are the whole exchange (every goroutine of the process); the INVITE→200
// figures (median and max, µs) time the answer path alone:
//
//	go test -run '^$' -bench AnswerPath -benchtime 500x ./ua
func BenchmarkAnswerPath(b *testing.B) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			benchAnswer(b)
		})
	}
}

func benchAnswer(b *testing.B) {
	cfg := testConfig()
	cfg.Limits.SourceRate, cfg.Limits.SourceBurst = 10000, 100000 // calls one after the other from one source
	h := benchUA(b, cfg)
	addr := h.Addr().String()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	lat := make([]time.Duration, 0, b.N)
	buf := make([]byte, 65536)
	exchange := func(msg, want string) string {
		conn.Write([]byte(msg))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				b.Fatalf("no %q: %v", want, err)
			}
			if strings.Contains(string(buf[:n]), want) {
				return string(buf[:n])
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("ans%d-%d", i, time.Now().UnixNano())
		inv := request("INVITE", addr, conn.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP)
		t0 := time.Now()
		ok := exchange(inv, "SIP/2.0 200")
		lat = append(lat, time.Since(t0))
		to := headerValue(ok, "To")
		fmt.Fprintf(conn, "ACK sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-a%s\r\nMax-Forwards: 70\r\n"+
			"From: <sip:caller@127.0.0.1>;tag=t-%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
			addr, conn.LocalAddr(), id, id, to, id)
		bye := fmt.Sprintf("BYE sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-b%s\r\nMax-Forwards: 70\r\n"+
			"From: <sip:caller@127.0.0.1>;tag=t-%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
			addr, conn.LocalAddr(), id, id, to, id)
		exchange(bye, "SIP/2.0 200")
		for len(h.Calls()) != 0 { // the door takes one call at a time
			runtime.Gosched()
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "µs-invite-to-200-median")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds())/1000, "µs-invite-to-200-max")
}
