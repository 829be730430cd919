package provisioning

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// liveStatus is a status source whose value a test changes.
type liveStatus struct {
	mu sync.Mutex
	v  map[string]any
}

func (l *liveStatus) Status(context.Context) any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v
}

func (l *liveStatus) set(k string, v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.v = map[string]any{"version": "t", k: v}
}

// readEvent reads the stream up to the next event or comment.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return b.String() + "EOF"
		}
		if line == "\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

// TestEventsStream: a stream sends the status at once and again when it
// changes; it ends when its session logs out; a ninth stream is refused.
func TestEventsStream(t *testing.T) {
	t.Parallel()
	st := &liveStatus{}
	st.set("door", "closed")
	e := newAdminEnv(t, func(o *AdminOptions) { o.Status = st })
	res, _ := e.do(t, "POST", "/api/login", "", `{"password":`+jsString(testAdminPW)+`}`)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	req, _ := http.NewRequest("GET", e.URL+"/api/events", nil)
	req.AddCookie(cookie)
	stream, err := e.Client().Do(req)
	if err != nil || stream.StatusCode != http.StatusOK || stream.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events: %v %v", stream, err)
	}
	defer stream.Body.Close()
	rd := bufio.NewReader(stream.Body)
	if ev := readEvent(t, rd); !strings.HasPrefix(ev, "event: status\ndata: ") || !strings.Contains(ev, `"door":"closed"`) {
		t.Fatalf("first event %q", ev)
	}
	st.set("door", "open")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(statusEvery)
	if ev := readEvent(t, rd); !strings.Contains(ev, `"door":"open"`) {
		t.Fatalf("after the change: %q", ev)
	}

	// A ninth page is refused; the eight others stay.
	for i := range maxEventStreams {
		req, _ := http.NewRequest("GET", e.URL+"/api/events", nil)
		req.SetBasicAuth("admin", testAdminPW)
		r, err := e.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		want := http.StatusOK
		if i == maxEventStreams-1 { // with the first one, this is the ninth
			want = http.StatusServiceUnavailable
		}
		if r.StatusCode != want {
			t.Fatalf("stream %d: %d, want %d", i+2, r.StatusCode, want)
		}
	}

	lo, _ := http.NewRequest("POST", e.URL+"/api/logout", nil)
	lo.AddCookie(cookie)
	if r, err := e.Client().Do(lo); err != nil || r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %v %v", r, err)
	}
	if err := e.clk.BlockUntilContext(ctx, maxEventStreams); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(statusEvery)
	for {
		ev := readEvent(t, rd)
		if strings.HasSuffix(ev, "EOF") {
			break
		}
	}
}

// TestWebUILiveStatus: the page's dashboard follows the device without
// polling: after the first load, a change (a call ringing) shows with no
// further GET /api/status.
func TestWebUILiveStatus(t *testing.T) {
	t.Parallel()
	st := &liveStatus{}
	st.set("calls", []any{})
	var polls atomic.Int32
	e := newAdminEnv(t, func(o *AdminOptions) { o.Status = st; o.Clock = clockwork.NewRealClock() })
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/status" {
			polls.Add(1)
		}
		e.admin.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b.Navigate(counting.URL + "/")
	// The login form shows once the page's first GET /api/status was
	// answered 401: from here on, the status comes from the event stream.
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	before := polls.Load()
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the dashboard", `!document.querySelector("#app").hidden && document.querySelector("#dashboard").textContent.includes("Call now")`)
	st.set("calls", []any{map[string]any{"peer": "sip:bob@127.0.0.1", "state": "ringing"}})
	b.WaitFor(ctx, "the ringing call live", `document.querySelector("#dashboard .live") && document.querySelector("#dashboard .live").textContent.includes("bob")`)
	// Away to the settings and back to the status tab: still no poll.
	b.Eval(`document.querySelector('nav button[data-tab="config"]').click(); document.querySelector('nav button[data-tab="status"]').click()`, nil)
	b.WaitFor(ctx, "the status tab", `!document.querySelector("#status").hidden`)
	if n := polls.Load() - before; n > 0 {
		t.Fatalf("the page polled GET /api/status %d times after login instead of following /api/events", n)
	}
	b.Eval(`document.querySelector("#logout").click()`, nil)
	b.WaitFor(ctx, "the login form after logout", `!document.querySelector("#login").hidden`)
	var open bool
	b.Eval(`events !== null`, &open)
	if open {
		t.Fatal("the event stream is still open after logout")
	}
}
