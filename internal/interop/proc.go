package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Password is the password of every user the harness creates.
const Password = "secret"

// Need returns the path of binary, or ends the test: t.Fatal when CI is
// "true", otherwise t.Skip naming the Debian package that provides it.
func Need(t testing.TB, binary, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(binary)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found: install the Debian package %s (apt-get install -y --no-install-recommends %s)",
		binary, debianPackage, debianPackage)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	} else {
		t.Skip(msg)
	}
	return ""
}

// FreePort returns a loopback port that is free for both UDP and TCP at
// the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := nextPort()
		pc, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			ScatterPorts()
			continue
		}
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err != nil {
			ScatterPorts()
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("free port: no port free for both UDP and TCP")
	return 0
}

// Ports handed out by FreePort come from below the kernel's ephemeral
// range (32768-60999 by default): a port the kernel gave out for ":0"
// could be handed to an outgoing connection (of Kamailio, of the UA under
// test) between FreePort and the peer binding it, which made sipp fail
// with "Address already in use". Each process starts at a random point
// and walks on, so parallel tests and test binaries rarely meet.
const portLow, portHigh = 20000, 32000

var portNext = struct {
	sync.Mutex
	n int
}{n: -1}

// ScatterPorts makes FreePort go on from a new random point: call it when
// a port it gave was taken before the peer bound it. Another test process
// walking the same way just ahead would otherwise take the next port too.
func ScatterPorts() {
	portNext.Lock()
	defer portNext.Unlock()
	portNext.n = -1
}

func nextPort() int {
	portNext.Lock()
	defer portNext.Unlock()
	if portNext.n < 0 {
		portNext.n = rand.IntN(portHigh-portLow) &^ 15
	}
	// Steps of 16: a peer may use ports above the one it was given
	// (sipp's media port p takes p..p+3, baresip's RTP range p..p+9).
	portNext.n = (portNext.n + 16) % (portHigh - portLow)
	return portLow + portNext.n
}

// Log is a concurrency-safe buffer of a peer's output that can be waited on.
type Log struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

// NewLog returns an empty Log.
func NewLog() *Log { return &Log{changed: make(chan struct{})} }

// Write implements io.Writer.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Count returns how often s occurs in the log.
func (l *Log) Count(s string) int { return strings.Count(l.String(), s) }

// WaitFor waits until the log contains s at least n times (n<1 means 1).
func (l *Log) WaitFor(ctx context.Context, s string, n ...int) error {
	want := 1
	if len(n) > 0 && n[0] > 1 {
		want = n[0]
	}
	for {
		l.mu.Lock()
		ok := strings.Count(l.buf.String(), s) >= want
		ch := l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for %q x%d in log: %w", s, want, ctx.Err())
		}
	}
}

// proc is one started peer process, in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProc(t testing.TB, name string, log *Log, dir string, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p
}

// stop sends SIGTERM to the process group, then SIGKILL after a grace time.
func (p *proc) stop() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived the leader (Kamailio workers) go with the group,
	// and stop returns once they are gone: a worker still holding a socket
	// made a restart on the same ports fail with "Address already in use".
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		if syscall.Kill(-pgid, 0) == syscall.ESRCH {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// dumpOnFailure prints log when the test failed.
func dumpOnFailure(t testing.TB, name string, log fmt.Stringer) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- %s log ----\n%s\n---- end of %s log ----", name, log.String(), name)
		}
	})
}

// poll calls f until it returns nil, the process exits or ctx ends.
func poll(ctx context.Context, p *proc, f func(context.Context) error) error {
	var last error
	for {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited: %v (last probe: %v)", p.name, p.err, last)
		}
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		last = f(pctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
