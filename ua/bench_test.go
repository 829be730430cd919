package ua

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// Benchmarks (not timed tests): run with
//
//	go test -run '^$' -bench . -benchtime 200x ./ua
//
// BenchmarkRegisterRoundTrip: one REGISTER refresh with Kamailio, digest
// included (two round trips: 401, then 200).
func BenchmarkRegisterRoundTrip(b *testing.B) {
	k := interop.StartKamailio(b, interop.KamailioOptions{})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: k.UDP, User: "door", Password: interop.Password, Expires: time.Hour}}
	u, err := New(cfg, "bench", discard())
	if err != nil {
		b.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u.cfg.Accounts = nil // no background loop: the benchmark drives REGISTER
	go u.Run(ctx)
	<-u.ready
	r := newRegLoop(u, 0, cfg.Accounts[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := r.register(ctx, 0, time.Hour, u.timing.RegTimeout); res.out != outOK {
			b.Fatalf("register: %s", res.reason)
		}
	}
}

// BenchmarkInviteTo200 has sipp place calls at sipbell (auto-answer delay
// 0) and reports sipp's INVITE→200 response time. sipp's clock has 1 ms
// resolution, so on loopback it reads 0; BenchmarkCallMemory measures the
// same step in microseconds.
func BenchmarkInviteTo200(b *testing.B) {
	h := benchUA(b, benchConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.ResetTimer()
	r := interop.RunSipp(ctx, b, interop.SippOptions{Scenario: "uac_call.xml", Remote: h.Addr().String(),
		Service: "door", Calls: b.N, Rate: 20, Args: []string{"-d", "0", "-l", "1"}, Timeout: 4 * time.Minute})
	b.StopTimer()
	if r.Exit != 0 {
		b.Fatalf("sipp exit %d\n%s", r.Exit, r.Log)
	}
	for _, l := range strings.Split(r.Log, "\n") {
		if strings.Contains(l, "Response Time") {
			b.Log(l)
		}
	}
	m := regexp.MustCompile(`Response Time 1\s*\|\s*(\d+):(\d+):(\d+):(\d+)`).FindStringSubmatch(r.Log)
	if m == nil {
		b.Logf("no response time in sipp output")
		return
	}
	var hh, mm, ss, us int
	fmt.Sscan(m[1], &hh)
	fmt.Sscan(m[2], &mm)
	fmt.Sscan(m[3], &ss)
	fmt.Sscan(m[4], &us)
	d := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(us)*time.Microsecond
	b.ReportMetric(float64(d.Microseconds())/1000, "ms-invite-to-200")
}

// BenchmarkCallMemory reports the heap in use by one established call
// (dialog, transaction state, SDP, RTP socket), measured after GC.
func BenchmarkCallMemory(b *testing.B) {
	h, conn := benchCaller(b)
	addr := h.Addr().String()
	buf := make([]byte, 65536)
	var total int64
	var setup time.Duration
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		id := fmt.Sprintf("mem%d", i)
		inv := request("INVITE", addr, conn.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP)
		t0 := time.Now()
		ok := benchExchange(b, conn, buf, inv, "SIP/2.0 200")
		setup += time.Since(t0)
		to := headerValue(ok, "To")
		fmt.Fprint(conn, benchACK(addr, conn.LocalAddr(), id, to))
		for len(h.Calls()) == 0 || h.Calls()[0].State() != CallAnswered {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		total += int64(m1.HeapInuse) - int64(m0.HeapInuse)
		benchExchange(b, conn, buf, benchBYE(addr, conn.LocalAddr(), id, to), "SIP/2.0 200")
		for len(h.Calls()) != 0 {
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(total)/float64(b.N)/1024, "KiB-heap/call")
	b.ReportMetric(float64(setup.Microseconds())/float64(b.N), "µs-invite-to-200")
}

// benchConfig is the UA configuration of the call benchmarks: calls one
// after the other from one source (a load test, not a flood).
func benchConfig() Config {
	cfg := testConfig()
	cfg.Limits.SourceRate, cfg.Limits.SourceBurst = 10000, 100000
	return cfg
}

// benchCaller runs a UA with benchConfig and connects a UDP caller to it.
func benchCaller(b *testing.B, opts ...Option) (*UA, net.Conn) {
	b.Helper()
	h := benchUA(b, benchConfig(), opts...)
	conn, err := net.Dial("udp", h.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return h, conn
}

// benchACK is the ACK for the 2xx (To: its To header) of the INVITE that
// request(..., id, ...) made.
func benchACK(addr string, local net.Addr, id, to string) string {
	return inDialog("ACK", 1, addr, local, id, to)
}

// benchBYE is the caller's BYE for that call.
func benchBYE(addr string, local net.Addr, id, to string) string {
	return inDialog("BYE", 2, addr, local, id, to)
}

func inDialog(method string, cseq int, addr string, local net.Addr, id, to string) string {
	return fmt.Sprintf("%s sip:door@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s%s\r\nMax-Forwards: 70\r\n"+
		"From: <sip:caller@127.0.0.1>;tag=t-%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
		method, addr, local, strings.ToLower(method[:1]), id, id, to, id, cseq, method)
}

func benchUA(b *testing.B, cfg Config, opts ...Option) *UA {
	b.Helper()
	u, err := New(cfg, "bench", discard(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	go func() {
		for range u.Events() {
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	<-u.ready
	return u
}

// benchExchange sends msg and reads (into buf) until a datagram holds
// want.
func benchExchange(b testing.TB, conn net.Conn, buf []byte, msg, want string) string {
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
