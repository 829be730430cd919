package ua

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// emfileListener fails Accept with EMFILE (as the kernel does when the
// process has no file descriptor left) while failing is set, reporting
// each failure on failed.
type emfileListener struct {
	net.Listener
	failing atomic.Bool
	failed  chan struct{}
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.failing.Load() {
		select {
		case l.failed <- struct{}{}:
		default:
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(),
			Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// tcpOptions sends an OPTIONS over a new TCP connection and returns the
// status line of the answer.
func tcpOptions(t *testing.T, local *net.TCPAddr, target *net.UDPAddr) (string, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != nil {
		d.LocalAddr = local
	}
	conn, err := d.Dial("tcp", target.String())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, optionsRequest("TCP", conn.LocalAddr(), target)); err != nil {
		return "", err
	}
	return bufio.NewReader(conn).ReadString('\n')
}

// TestTCPListenerSurvivesEMFILE: accept errors (fd exhaustion) used to end
// sipgo's TCP accept loop for good; SIP over TCP must work again after.
func TestTCPListenerSurvivesEMFILE(t *testing.T) {
	t.Parallel()
	var fl *emfileListener
	h := start(t, testConfig(), func(u *UA) {
		if err := u.Listen(); err != nil {
			t.Fatal(err)
		}
		fl = &emfileListener{Listener: u.tcp, failed: make(chan struct{}, 1)}
		fl.failing.Store(true)
		u.tcp = fl
	})
	<-h.Ready()
	for i := 0; i < 3; i++ { // sipgo alone stops at the first
		select {
		case <-fl.failed:
		case <-time.After(10 * time.Second):
			t.Fatalf("accept not retried after failure %d", i)
		}
	}
	fl.failing.Store(false)
	status, err := tcpOptions(t, nil, h.Addr())
	if err != nil || !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TCP after EMFILE: %q, %v", status, err)
	}
	if !strings.Contains(h.logs.String(), "accept failed, retrying") {
		t.Error("the accept failure was not logged")
	}
}

// TestTCPListenerReopened: a listener socket closed under the UA is
// opened again on the same address.
func TestTCPListenerReopened(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	<-h.Ready()
	h.UA.mu.Lock()
	raw := h.UA.tcp
	h.UA.mu.Unlock()
	raw.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, err := tcpOptions(t, nil, h.Addr())
		if err == nil && strings.HasPrefix(status, "SIP/2.0 200") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TCP not served again after its socket was closed: %q, %v", status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(h.logs.String(), "listener reopened") {
		t.Error("reopening was not logged")
	}
}

// failingPacketConn fails one ReadFrom (after fail is set) with ENOBUFS,
// which ends sipgo's UDP read loop.
type failingPacketConn struct {
	net.PacketConn
	fail atomic.Bool
}

func (c *failingPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if c.fail.CompareAndSwap(true, false) {
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Addr: c.LocalAddr(),
			Err: os.NewSyscallError("recvfrom", syscall.ENOBUFS)}
	}
	return c.PacketConn.ReadFrom(b)
}

// TestUDPListenerServedAgain: a read error used to end sipgo's UDP loop
// for good; SIP over UDP must be answered after one.
func TestUDPListenerServedAgain(t *testing.T) {
	t.Parallel()
	var fc *failingPacketConn
	h := start(t, testConfig(), func(u *UA) {
		if err := u.Listen(); err != nil {
			t.Fatal(err)
		}
		fc = &failingPacketConn{PacketConn: u.udp}
		u.udp = fc
	})
	<-h.Ready()
	c := dial(t, h)
	addr := h.Addr().String()
	fc.fail.Store(true)
	c.Write([]byte("\r\n\r\n")) // wakes the read under way; the next one fails
	deadline := time.Now().Add(10 * time.Second)
	for i := 1; ; i++ { // retried: the loop may still be restarting
		c.Write([]byte(request("OPTIONS", addr, c.LocalAddr(), fmt.Sprintf("u%d", i), "", "")))
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		buf := make([]byte, 65536)
		if n, err := c.Read(buf); err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") && !fc.fail.Load() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("UDP not served again after a read error")
		}
	}
	if !strings.Contains(h.logs.String(), "sip udp: listener stopped") {
		t.Error("the stop was not logged")
	}
}
