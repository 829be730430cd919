package ua

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// optionsOK checks that the UA still answers OPTIONS on UDP and TCP.
func optionsOK(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tr := range []string{"udp", "tcp"} {
		if line, err := interop.Ping(ctx, tr, h.Addr().String(), nil); err != nil || !strings.Contains(line, "200") {
			t.Errorf("%s OPTIONS after hostile input: %q %v", tr, line, err)
		}
	}
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	// Eighteen connections from one address in a burst: not what this test
	// is about (TestConnLimits is), so the per-source cap does not apply.
	cfg.TCPMaxPerSource = 64
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	junk := make([]byte, 1400)
	rand.Read(junk)
	big := request("INVITE", addr, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, "big", "X-Pad: "+
		strings.Repeat("a", 64*1024-600)+"\r\n", "")
	inputs := map[string][]byte{
		"garbage":        junk,
		"empty":          {},
		"crlf":           []byte("\r\n\r\n"),
		"truncated":      []byte("INVITE sip:door@" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;bra"),
		"no headers end": []byte("OPTIONS sip:door@" + addr + " SIP/2.0\r\nCall-ID: x\r\n"),
		"bad cseq":       []byte(strings.Replace(request("INVITE", addr, &net.UDPAddr{Port: 9}, "c1", "", ""), "CSeq: 1 INVITE", "CSeq: banana", 1)),
		"huge length":    []byte(strings.Replace(request("OPTIONS", addr, &net.UDPAddr{Port: 9}, "c2", "", ""), "Content-Length: 0", "Content-Length: 99999999", 1)),
		"64 KiB":         []byte(big),
		"binary header":  []byte("INVITE sip:door@" + addr + " SIP/2.0\r\nVia: \x00\xff\xfe\r\n\r\n"),
	}
	for name, b := range inputs {
		for _, tr := range []string{"udp", "tcp"} {
			conn, err := net.Dial(tr, addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write(b); err != nil && tr == "tcp" {
				t.Logf("%s/%s: write: %v", name, tr, err)
			}
			conn.Close()
		}
	}
	optionsOK(t, h)
}

// TestInviteFlood: 1000 INVITEs a second from an unknown caller (10 s,
// 2 s with -short) are refused with 403; a legitimate call during the
// flood is answered; afterwards goroutines and heap are back near their
// starting level.
func TestInviteFlood(t *testing.T) {
	cfg := testConfig()
	cfg.AllowFrom = []string{"127.0.0.1"} // the sipp UAC; the flood comes from 127.0.0.3
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	runtime.GC()
	g0 := runtime.NumGoroutine()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)

	dur := 10 * time.Second
	if testing.Short() {
		dur = 2 * time.Second
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)}, h.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var answered403, other int
	var mu sync.Mutex
	begin := time.Now()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			switch msg := string(buf[:n]); {
			case strings.HasPrefix(msg, "SIP/2.0 403"):
				answered403++
			case strings.HasPrefix(msg, "SIP/2.0 1"): // the transaction's own 100 Trying under load
			default:
				other++
			}
			mu.Unlock()
		}
	}()
	stop := make(chan struct{})
	sent := 0
	var fw sync.WaitGroup
	fw.Add(1)
	go func() {
		defer fw.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for sent < int(time.Since(begin)/time.Millisecond) { // 1000 a second
					sent++
					msg := strings.Replace(request("INVITE", addr, conn.LocalAddr(), fmt.Sprintf("flood%d", sent),
						"Content-Type: application/sdp\r\n", offerSDP), "sip:caller@127.0.0.1", "sip:scanner@127.0.0.1", 1)
					conn.Write([]byte(msg))
				}
			}
		}
	}()
	// A legitimate call in the middle of the flood.
	floodEnd := time.After(dur)
	ctx, cancel := context.WithTimeout(context.Background(), dur+20*time.Second)
	defer cancel()
	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr, Service: "door",
		Args: []string{"-d", fmt.Sprint(dur.Milliseconds() / 4)}, Timeout: dur + 10*time.Second})
	if r.Exit != 0 {
		t.Errorf("legitimate call during the flood failed: exit %d\n%s", r.Exit, r.Messages)
	}
	h.wait(t, 5*time.Second, "legitimate call answered", callIs(CallAnswered))
	<-floodEnd
	close(stop)
	fw.Wait()
	// Let the backlog drain: wait until the 403s stop coming.
	for prev := -1; ; {
		mu.Lock()
		n := answered403
		mu.Unlock()
		if n == prev {
			break
		}
		prev = n
		time.Sleep(300 * time.Millisecond)
	}
	mu.Lock()
	got, bad := answered403, other
	mu.Unlock()
	// Under overload the kernel drops datagrams; what is read is refused.
	t.Logf("flood: %d INVITEs sent in %v, %d answered 403 (the rest dropped by the socket buffer)", sent, dur, got)
	if got == 0 || bad != 0 {
		t.Errorf("flood INVITEs: %d answered 403, %d with another final answer", got, bad)
	}
	// Goroutines settle back (wait on the condition, bounded).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > g0+10 && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > g0+10 {
		t.Errorf("goroutines grew from %d to %d after the flood", g0, g)
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	if grow := int64(m1.HeapInuse) - int64(m0.HeapInuse); grow > 16<<20 {
		t.Errorf("heap in use grew by %d MiB after the flood", grow>>20)
	}
	if n, d := strings.Count(h.logs.String(), "caller not allowed"), time.Since(begin); n > int(d/time.Second)+2 {
		t.Errorf("%d refusal log lines in %v: not rate limited", n, d)
	}
}
