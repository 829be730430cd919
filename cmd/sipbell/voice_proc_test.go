package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// voiceProc is a sipbell binary whose JSON log lines are all kept (so a
// test can count them after the fact) and can be awaited by predicate.
// Unlike proc it never blocks sipbell's logging on a slow reader.
type voiceProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when sipbell exited and its log is read
	mu    sync.Mutex
	lines []map[string]any
	raw   strings.Builder
	wake  chan struct{}
}

// startVoice runs sipbell with config (a provisioning section keeping it
// off the admin port is added) and extra flags, optionally through
// wrapper (e.g. "ip netns exec NAME").
func startVoice(t *testing.T, config string, wrapper []string, flags ...string) *voiceProc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sipbell.yaml")
	config += testProvisioning(filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := append(append(append([]string{}, wrapper...), voiceBinary(t), "-config", cfg, "-log-format", "json"), flags...)
	cmd := exec.Command(argv[0], argv[1:]...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &voiceProc{cmd: cmd, done: make(chan struct{}), wake: make(chan struct{})}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m map[string]any
			_ = json.Unmarshal(sc.Bytes(), &m)
			p.mu.Lock()
			p.raw.WriteString(sc.Text() + "\n")
			if m != nil {
				p.lines = append(p.lines, m)
			}
			close(p.wake)
			p.wake = make(chan struct{})
			p.mu.Unlock()
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("sipbell log:\n%s", p.log())
		}
	})
	return p
}

func (p *voiceProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.raw.String()
}

// matching returns the log lines with message msg whose attributes
// contain want's values.
func (p *voiceProc) matching(msg string, want map[string]string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.lines {
		if m["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && fmt.Sprint(m[k]) == v
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// await waits for the n-th (1-based) log line matching msg and want.
func (p *voiceProc) await(ctx context.Context, t *testing.T, msg string, want map[string]string, n int) map[string]any {
	t.Helper()
	for {
		p.mu.Lock()
		ch := p.wake
		p.mu.Unlock()
		if got := p.matching(msg, want); len(got) >= n {
			return got[n-1]
		}
		select {
		case <-ch:
		case <-p.done:
			if got := p.matching(msg, want); len(got) >= n {
				return got[n-1]
			}
			t.Fatalf("sipbell exited before logging %q %v (x%d)", msg, want, n)
		case <-ctx.Done():
			t.Fatalf("no %q log line with %v (x%d): %v", msg, want, n, ctx.Err())
		}
	}
}

// press presses a call button of the simulated board on its terminal.
func (p *voiceProc) press(t *testing.T, button int) {
	t.Helper()
	if _, err := fmt.Fprintf(p.stdin, "%d\n", button); err != nil {
		t.Fatal(err)
	}
}

// stop sends SIGTERM and waits for sipbell to exit.
func (p *voiceProc) stop(ctx context.Context, t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatal("sipbell did not exit after SIGTERM")
	}
}

// waitFileSize waits until path holds at least size bytes (a recording
// that has grown to a given length).
func waitFileSize(ctx context.Context, t *testing.T, path string, size int64, what string) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() >= size {
			return
		}
		select {
		case <-ctx.Done():
			fi, _ := os.Stat(path)
			t.Fatalf("%s (%s) never reached %d bytes (%v)", what, path, size, fi)
		case <-tick.C:
		}
	}
}

// waitGlob waits for a file matching pattern and returns its path.
func waitGlob(ctx context.Context, t *testing.T, pattern string) string {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no file %s", pattern)
		case <-tick.C:
		}
	}
}

// voiceBinary is the sipbell binary to run: the one the parent test built
// (VOICE_SIPBELL_BIN, for a test re-run inside a network namespace) or a
// fresh build.
func voiceBinary(t *testing.T) string {
	if p := os.Getenv("VOICE_SIPBELL_BIN"); p != "" {
		return p
	}
	return binary(t)
}

// autoAnswerConfig is the config of a door station that auto-answers one
// call at a time from 127.0.0.1, its microphone a WAV file of
// voiceSignal(voice) and its speaker a WAV file, both in a temporary
// directory; sipExtra goes at the end of the sip: section.
func autoAnswerConfig(t *testing.T, voice int, sipExtra string) string {
	t.Helper()
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(voice))
	return "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n  max_calls: 1\n" + sipExtra +
		"device:\n  auto_answer: true\n" +
		"audio:\n  capture: " + mic + "\n  playback: " + speaker + "\n"
}
