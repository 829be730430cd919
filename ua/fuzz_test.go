package ua

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzRequestHandling feeds each input as a UDP datagram to a running UA
// (guard, parser, transaction layer and the UA's handlers, not just the
// parser) and then checks that the UA still answers a plain OPTIONS from
// the same source: no panic (it would end the process), no hang, and no
// goroutines piling up.
//
// The seeds (the torture corpus and ordinary requests) run with every
// `go test`. A fuzzing run sends whatever the fuzzer makes up, which may
// name any address (Via, Contact): it must run in a network namespace of
// its own with only loopback, e.g.
//
//	unshare -rn sh -c 'ip link set lo up && go test -run=^$ -fuzz=FuzzRequestHandling -fuzztime=10s ./ua/'
func FuzzRequestHandling(f *testing.F) {
	for _, tc := range tortureCorpus {
		f.Add(tortureMessage(tc, "127.0.0.1:5"))
	}
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}
	for _, m := range []string{"OPTIONS", "INVITE", "BYE", "CANCEL", "ACK", "INFO", "NOTIFY", "REGISTER", "MESSAGE", "SUBSCRIBE"} {
		f.Add([]byte(request(m, "127.0.0.1:5060", local, "seed-"+m, "Content-Type: application/sdp\r\n", offerSDP)))
	}
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx\r\nCSeq: 1 INVITE\r\nCall-ID: x\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nContent-Length: 0\r\n\r\n"))
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		if ifs := nonLoopback(); len(ifs) > 0 {
			f.Fatalf("fuzzing sends made-up addresses: run it in a network namespace with only lo (see the doc comment); up here: %v", ifs)
		}
	}
	fz := startFuzzUA(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		fz.exchange(t, in)
	})
}

// fuzzUA is one UA serving a whole fuzzing run, and its client socket.
type fuzzUA struct {
	u    *UA
	conn *net.UDPConn
	g0   int
	n    atomic.Int64
	got  chan string // answers to the sentinel OPTIONS
}

func startFuzzUA(f testing.TB) *fuzzUA {
	cfg := testConfig()
	// The fuzzer is one source sending as fast as it can: the guard's
	// limits would drop it (that is tested elsewhere), not check it.
	cfg.Limits.SourceRate, cfg.Limits.SourceBurst, cfg.Limits.BlockAfter = 10000, 100000, 1000000
	cfg.Limits.GlobalRate, cfg.Limits.GlobalBurst = 100000, 1000000
	cfg.Limits.MemoryLimitMiB = -1
	u, err := New(cfg, "fuzz", slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		f.Fatal(err)
	}
	u.udp = loopbackOnly{u.udp} // answers go nowhere else, whatever the input says
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, u.Addr())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	fz := &fuzzUA{u: u, conn: conn, got: make(chan string, 16)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if m := string(buf[:n]); strings.Contains(m, "fuzz-sentinel-") {
				select {
				case fz.got <- m:
				default:
				}
			}
		}
	}()
	runtime.GC()
	fz.g0 = runtime.NumGoroutine()
	return fz
}

// exchange sends one input, then a sentinel OPTIONS, and waits for the
// sentinel's answer.
func (fz *fuzzUA) exchange(t *testing.T, in []byte) {
	if _, err := fz.conn.Write(in); err != nil && len(in) < 65000 {
		t.Fatalf("send: %v", err)
	}
	id := fmt.Sprintf("fuzz-sentinel-%d", fz.n.Add(1))
	fz.conn.Write([]byte(request("OPTIONS", fz.u.Addr().String(), fz.conn.LocalAddr(), id, "", "")))
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-fz.got:
			if strings.Contains(m, id) {
				if g := runtime.NumGoroutine(); g > fz.g0+500 {
					t.Fatalf("goroutines grew from %d to %d", fz.g0, g)
				}
				return
			}
		case <-deadline:
			t.Fatalf("the UA stopped answering after input %q", in)
		}
	}
}

// loopbackOnly drops datagrams to anywhere but loopback.
type loopbackOnly struct{ net.PacketConn }

func (c loopbackOnly) WriteTo(b []byte, addr net.Addr) (int, error) {
	if ap := addrPort(addr); !ap.Addr().IsLoopback() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

// nonLoopback lists the interfaces that are up and not loopback.
func nonLoopback() []string {
	ifs, _ := net.Interfaces()
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			out = append(out, i.Name)
		}
	}
	return out
}
