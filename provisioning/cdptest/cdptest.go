// Package cdptest drives a headless Chromium over the DevTools protocol
// for tests of the web UI: start the browser, open a page, evaluate
// JavaScript, wait for a condition in the page.
//
// It needs Debian's chromium (/usr/bin/chromium). Without it, Start skips
// the test with a message saying what to install, or fails it when the
// environment variable CI is "true".
package cdptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Binary is the Chromium executable used.
var Binary = "/usr/bin/chromium"

// Browser is one headless Chromium with one page.
type Browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	conn net.Conn
	r    io.Reader
	wmu  sync.Mutex
	mu   sync.Mutex
	next int
	wait map[int]chan reply
	Log  *strings.Builder // console messages and exceptions of the page
	done chan struct{}
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Start launches Chromium with a fresh profile in a temp dir, attaches to
// its page, and kills it when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: install the Debian package chromium", Binary)
		}
		t.Skipf("%s missing: install the Debian package chromium to run the web UI test", Binary)
	}
	dir := t.TempDir()
	cmd := exec.Command(Binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--user-data-dir="+dir,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank")
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// Browser.close (sent below) lets Chromium reap its own helper
		// processes; the group is killed only if it does not exit.
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	port, err := waitPortFile(filepath.Join(dir, "DevToolsActivePort"), exited)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, cmd.Stderr.(*lockedWriter).String())
	}
	wsURL, err := pageURL(port)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	conn, br, _, err := ws.Dial(context.Background(), wsURL)
	if err != nil {
		t.Fatalf("chromium devtools %s: %v", wsURL, err)
	}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	b := &Browser{t: t, cmd: cmd, conn: conn, r: r, wait: map[int]chan reply{}, Log: &strings.Builder{}, done: make(chan struct{})}
	go b.readLoop()
	t.Cleanup(func() {
		msg, _ := json.Marshal(map[string]any{"id": 1 << 30, "method": "Browser.close"})
		b.wmu.Lock()
		_ = wsutil.WriteClientText(conn, msg)
		b.wmu.Unlock()
		conn.Close()
		<-b.done
	})
	b.Call("Runtime.enable", nil, nil)
	b.Call("Page.enable", nil, nil)
	return b
}

// waitPortFile waits for Chromium to write its DevTools port (or exit).
func waitPortFile(path string, exited <-chan struct{}) (string, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil {
			if port, _, ok := strings.Cut(string(data), "\n"); ok && port != "" {
				return port, nil
			}
		}
		select {
		case <-exited:
			return "", errors.New("exited before opening its DevTools port")
		case <-tick.C:
		}
	}
}

// pageURL finds the websocket of the page Chromium opened.
func pageURL(port string) (string, error) {
	res, err := http.Get("http://127.0.0.1:" + port + "/json/list")
	if err != nil {
		return "", fmt.Errorf("list targets: %w", err)
	}
	defer res.Body.Close()
	var targets []struct {
		Type, WebSocketDebuggerURL string
	}
	if err := json.NewDecoder(res.Body).Decode(&targets); err != nil {
		return "", fmt.Errorf("list targets: %w", err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			return tg.WebSocketDebuggerURL, nil
		}
	}
	return "", errors.New("no page target")
}

func (b *Browser) readLoop() {
	defer close(b.done)
	rw := struct {
		io.Reader
		io.Writer
	}{b.r, writerFunc(func(p []byte) (int, error) { b.wmu.Lock(); defer b.wmu.Unlock(); return b.conn.Write(p) })}
	for {
		msg, err := wsutil.ReadServerText(rw)
		if err != nil {
			return
		}
		var m struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		if m.ID == 0 {
			b.event(m.Method, m.Params)
			continue
		}
		b.mu.Lock()
		ch := b.wait[m.ID]
		delete(b.wait, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
}

func (b *Browser) event(method string, params json.RawMessage) {
	if method != "Runtime.consoleAPICalled" && method != "Runtime.exceptionThrown" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.Log, "%s %s\n", method, params)
}

// Call sends a DevTools command and decodes its result into out (may be
// nil). A protocol error fails the test.
func (b *Browser) Call(method string, params any, out any) {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	b.wmu.Lock()
	err := wsutil.WriteClientText(b.conn, msg)
	b.wmu.Unlock()
	if err != nil {
		b.t.Fatalf("devtools %s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			b.t.Fatalf("devtools %s: %s", method, r.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				b.t.Fatalf("devtools %s: %v", method, err)
			}
		}
	case <-b.done:
		b.t.Fatalf("devtools %s: connection closed", method)
	}
}

// Navigate opens url in the page.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Call("Page.navigate", map[string]any{"url": url}, nil)
}

// Eval evaluates a JavaScript expression (promises awaited) and decodes
// its value into out (may be nil). An exception fails the test.
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.Call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r)
	if e := r.ExceptionDetails; e != nil {
		msg := e.Text
		if e.Exception != nil {
			msg = e.Exception.Description
		}
		b.t.Fatalf("javascript %q: %s", expr, msg)
	}
	if out != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			b.t.Fatalf("javascript %q: result %s: %v", expr, r.Result.Value, err)
		}
	}
}

// WaitFor polls a JavaScript condition in the page until it is true or
// ctx ends (then the test fails with what, and the page's console log).
func (b *Browser) WaitFor(ctx context.Context, what, cond string) {
	b.t.Helper()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var ok bool
		b.Eval("(() => { try { return !!("+cond+"); } catch (e) { return false; } })()", &ok)
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			var body string
			b.Eval("document.body ? document.body.innerText : ''", &body)
			b.mu.Lock()
			log := b.Log.String()
			b.mu.Unlock()
			b.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s\nconsole:\n%s", what, cond, ctx.Err(), body, log)
		case <-tick.C:
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
