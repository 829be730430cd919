package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
	"golang.org/x/sys/unix"
)

// procFDs counts the open file descriptors of process pid.
func procFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// optionsOverTCP sends an OPTIONS to sipbell over a new TCP connection from
// local and returns the answer's status line.
func optionsOverTCP(local net.IP, addr string) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: local}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "OPTIONS sip:door@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:tester@%s>;tag=t1\r\nTo: <sip:door@%s>\r\nCall-ID: tcp-%d\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", addr, c.LocalAddr(), time.Now().UnixNano(),
		local, addr, time.Now().UnixNano())
	return bufio.NewReader(c).ReadString('\n')
}

// eventually retries f until it returns nil (the condition is awaited,
// not timed: the deadline is only a hang guard).
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func answered200(local net.IP, addr string) func() error {
	return func() error {
		status, err := optionsOverTCP(local, addr)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(status, "SIP/2.0 200") {
			return fmt.Errorf("status %q", status)
		}
		return nil
	}
}

// TestTCPListenerAfterFDExhaustion: sipbell runs out of file descriptors
// (its RLIMIT_NOFILE lowered to a few above what it uses) while TCP
// connections pour in; once they are gone, SIP over TCP answers again.
// (sipgo's accept loop used to end on the first EMFILE, for good.)
func TestTCPListenerAfterFDExhaustion(t *testing.T) {
	t.Parallel()
	p := start(t, nil)
	addr := p.await(t, "sip listening")["tcp"].(string)
	pid := p.cmd.Process.Pid
	used := procFDs(t, pid)
	lim := unix.Rlimit{Cur: uint64(used + 10), Max: uint64(used + 10)}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatalf("prlimit: %v", err)
	}
	var conns []net.Conn
	for i := 0; i < 40; i++ { // one per source: no per-source cap in the way
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 3, byte(i+1))}, Timeout: 5 * time.Second}
		if c, err := d.Dial("tcp", addr); err == nil {
			conns = append(conns, c)
		}
	}
	for m := p.await(t, "sip tcp: accept failed, retrying"); !strings.Contains(fmt.Sprint(m["err"]), "too many open files"); m = p.await(t, "sip tcp: accept failed, retrying") {
	}
	t.Logf("sipbell at %d of %d fds: accept failed with EMFILE", procFDs(t, pid), lim.Cur)
	for _, c := range conns {
		c.Close()
	}
	eventually(t, "OPTIONS over TCP after fd exhaustion", answered200(net.IPv4(127, 0, 0, 1), addr))
}

// TestIdleTCPConnectionsBinary: 10,000 idle TCP connections from 1,000
// loopback sources leave sipbell's file descriptors bounded by its cap; its
// TCP registration with Kamailio holds, and a new caller's OPTIONS over TCP
// is answered.
func TestIdleTCPConnectionsBinary(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      transport: tcp
      user: door
      password: %s
`, k.TCP, interop.Password))
	addr := p.await(t, "sip listening")["tcp"].(string)
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}
	pid := p.cmd.Process.Pid
	before := procFDs(t, pid)

	conns := interop.OpenIdle(t, addr, 10000, func(i int) net.IP {
		src := i / 10
		return net.IPv4(127, 0, byte(10+src/250), byte(src%250+1))
	})
	after := procFDs(t, pid)
	t.Logf("%d idle TCP connections open to sipbell: its fds %d -> %d", len(conns), before, after)
	if after-before > 128+16 {
		t.Fatalf("sipbell's fds grew by %d for %d idle connections: not bounded by the cap (128)", after-before, len(conns))
	}
	eventually(t, "OPTIONS over TCP from a new caller", answered200(net.IPv4(127, 0, 0, 2), addr))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("registration lost during the storm: %v", err)
	} else {
		t.Logf("still registered: %v", c)
	}
}
