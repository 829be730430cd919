package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles sipbell once per test binary run.
var buildOnce struct {
	sync.Once
	path string
	err  error
	out  []byte
}

func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sipbell-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "sipbell")
		cmd := exec.Command("go", "build", "-o", buildOnce.path, ".")
		buildOnce.out, buildOnce.err = cmd.CombinedOutput()
	})
	if buildOnce.err != nil {
		t.Fatalf("build: %v\n%s", buildOnce.err, buildOnce.out)
	}
	return buildOnce.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.path != "" {
		os.RemoveAll(filepath.Dir(buildOnce.path))
	}
	os.Exit(code)
}

// requireTool fails in CI and skips by hand when a peer program is missing.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: CI must install Debian package %s", name, pkg)
		}
		t.Skipf("%s not found: apt-get install %s", name, pkg)
	}
	return p
}

// proc is a running sipbell whose JSON log lines can be awaited.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan map[string]any
	mu    sync.Mutex
	log   bytes.Buffer
	done  chan error
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return startWith(t, env, "sip:\n  listen: 127.0.0.1:0\n  user: door\n", args...)
}

// testProvisioning keeps a test's sipbell off the admin port and out of
// /var/lib: its state lives in dir.
func testProvisioning(dir string) string {
	return "provisioning:\n  state_dir: " + dir + "\n  admin:\n    listen: \"\"\n"
}

// startWith runs sipbell with the given configuration file content.
func startWith(t *testing.T, env []string, config string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	if !strings.Contains(config, "provisioning:") {
		config += testProvisioning(filepath.Join(dir, "state"))
	}
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return startFile(t, env, cfg, args...)
}

// startFile runs sipbell with the configuration file cfg.
func startFile(t testing.TB, env []string, cfg string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"-config", cfg, "-log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := newProc(t, cmd)
	p.stdin = stdin
	return p
}

// newProc starts cmd, a sipbell logging JSON to its stderr: each line
// goes into the log (shown when the test fails) and, parsed, to lines;
// done gets Wait's result once the log has ended. It is killed at the
// test's end.
func newProc(t testing.TB, cmd *exec.Cmd) *proc {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan map[string]any, 4096), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				p.lines <- m
			}
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("sipbell log (pid %d):\n%s", cmd.Process.Pid, p.log.String())
			p.mu.Unlock()
		}
	})
	return p
}

// awaitEach waits until each of msgs has been logged, in any order (a
// start logs "registered" and "admin web UI" in either), and returns
// their lines by message.
func (p *proc) awaitEach(ctx context.Context, t testing.TB, msgs ...string) map[string]map[string]any {
	t.Helper()
	seen := map[string]map[string]any{}
	for len(seen) < len(msgs) {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatalf("sipbell exited before logging all of %q (got %d)", msgs, len(seen))
			}
			for _, msg := range msgs {
				if m["msg"] == msg && seen[msg] == nil {
					seen[msg] = m
				}
			}
		case <-ctx.Done():
			t.Fatalf("not all of %q logged (got %d)", msgs, len(seen))
		}
	}
	return seen
}

// exit waits for the process to end by itself and returns its exit code.
func (p *proc) exit(ctx context.Context, t testing.TB) int {
	t.Helper()
	for {
		select {
		case _, ok := <-p.lines:
			if ok {
				continue
			}
			select {
			case err := <-p.done:
				if ee, ok := err.(*exec.ExitError); ok {
					return ee.ExitCode()
				}
				return p.cmd.ProcessState.ExitCode()
			case <-ctx.Done():
			}
		case <-ctx.Done():
		}
		t.Fatal("sipbell did not exit")
	}
}

// await returns the first log line whose msg is msg, failing after a
// generous deadline (the event is awaited, not timed).
func (p *proc) await(t testing.TB, msg string) map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatalf("sipbell exited before logging %q", msg)
			}
			if m["msg"] == msg {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q log line", msg)
		}
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	for range p.lines {
	}
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("sipbell did not exit after SIGTERM")
		return -1
	}
}

func TestSipsakOptionsAndCleanShutdown(t *testing.T) {
	sipsak := requireTool(t, "sipsak", "sipsak")
	p := start(t, nil)
	addr := p.await(t, "sip listening")["udp"].(string)
	for _, transport := range []string{"udp", "tcp"} {
		args := []string{"-vv", "-s", "sip:door@" + addr}
		if transport == "tcp" {
			args = append(args, "-E", "tcp")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, sipsak, args...).CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "200 OK") {
			t.Fatalf("sipsak over %s: %v\n%s", transport, err, out)
		}
	}
	// A person at the terminal presses call button 1 of the simulated board.
	if _, err := io.WriteString(p.stdin, "1\n"); err != nil {
		t.Fatal(err)
	}
	if m := p.await(t, "button pressed but it has no targets configured"); m["button"] != 0.0 {
		t.Fatalf("press logged as %v, want button 0", m)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0 (clean shutdown within the grace period)", code)
	}
}

func TestSystemdNotifyAndWatchdog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := start(t, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=200000"})
	seen := map[string]bool{}
	buf := make([]byte, 4096)
	for _, want := range []string{"READY=1", "WATCHDOG=1"} {
		for !seen[want] {
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %s: %v (seen %v)", want, err, seen)
			}
			seen[strings.TrimSpace(string(buf[:n]))] = true
		}
	}
	p.stop(t)
	for !seen["STOPPING=1"] {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no STOPPING=1 on shutdown (seen %v): %v", seen, err)
		}
		seen[strings.TrimSpace(string(buf[:n]))] = true
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sip:\n  usr: door\n  listen: nowhere\n"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-check-config", bad}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("bad config: exit %d, want 1", code)
	}
	for _, want := range []string{bad + `:2: sip.usr: unknown key "usr"`, bad + ":3: sip.listen:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stderr.String())
		}
	}
	stderr.Reset()
	if code := run([]string{"-version"}, nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "sipbell ") {
		t.Fatalf("-version: exit %d, %q", code, stdout.String())
	}
	if code := run([]string{"-check-config", "../../configs/sipbell.example.yaml"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("example config: exit %d: %s", code, stderr.String())
	}
}

func TestBrokenConfigFallsBackToLastKnownGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	good := "sip:\n  listen: 127.0.0.1:0\n  user: lkg\n" + testProvisioning(filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg+".lkg", []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("sip:\n  usr: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startFile(t, nil, cfg)
	p.await(t, "running on the last-known-good configuration; fix or replace the config file")
	if m := p.await(t, "sip listening"); !strings.HasPrefix(m["uri"].(string), "sip:lkg@") {
		t.Fatalf("not running the last-known-good config: %v", m)
	}
	p.stop(t)

	// Without a last-known-good file a broken config stops the start.
	os.Remove(cfg + ".lkg")
	var stderr bytes.Buffer
	if code := run([]string{"-config", cfg}, nil, io.Discard, &stderr); code != 1 {
		t.Fatalf("broken config without lkg: exit %d, want 1\n%s", code, stderr.String())
	}
}

func TestSIPTraceFlag(t *testing.T) {
	t.Parallel()
	sipsak := requireTool(t, "sipsak", "sipsak")
	for _, trace := range []bool{false, true} {
		var args []string
		if trace {
			args = append(args, "-sip-trace")
		}
		p := start(t, nil, args...)
		addr := p.await(t, "sip listening")["udp"].(string)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, sipsak, "-vv", "-s", "sip:door@"+addr).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("sipsak: %v\n%s", err, out)
		}
		p.stop(t)
		p.mu.Lock()
		log := p.log.String()
		p.mu.Unlock()
		recv := strings.Contains(log, `"msg":"sip recv"`) && strings.Contains(log, `OPTIONS sip:door@`)
		sent := strings.Contains(log, `"msg":"sip send"`) && strings.Contains(log, `SIP/2.0 200 OK`)
		if trace != (recv && sent) || (!trace && (strings.Contains(log, "sip recv") || strings.Contains(log, "sip send"))) {
			t.Errorf("-sip-trace=%v: trace lines recv=%v send=%v\n%s", trace, recv, sent, log)
		}
	}
}

func TestUnstartableConfigFallsBackToLastKnownGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	prov := testProvisioning(filepath.Join(dir, "state"))
	good := "sip:\n  listen: 127.0.0.1:0\n  user: lkg\n" + prov
	// Valid, but this machine has no GPIO chip for the rpi board.
	bad := "sip:\n  listen: 127.0.0.1:0\n  user: new\nboard:\n  profile: rpi\n" + prov
	if err := os.WriteFile(cfg+".lkg", []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startFile(t, nil, cfg)
	p.await(t, "starting on the last-known-good configuration instead")
	if m := p.await(t, "sip listening"); !strings.HasPrefix(m["uri"].(string), "sip:lkg@") {
		t.Fatalf("not running the last-known-good config: %v", m)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
