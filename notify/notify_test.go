package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/device"
)

const testSecret = "0123456789abcdef-secret"

// hit is one request the test server saw.
type hit struct {
	body []byte
	hdr  http.Header
}

// receiver is an httptest server answering with the codes it is given
// (200 once they run out) and reporting every request.
type receiver struct {
	srv   *httptest.Server
	hits  chan hit
	mu    sync.Mutex
	codes []int
	block chan struct{} // when set, the handler waits on it (or the client going away)
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	t.Helper()
	r := &receiver{hits: make(chan hit, 64), codes: codes}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		b, _ := io.ReadAll(q.Body)
		r.hits <- hit{b, q.Header.Clone()}
		r.mu.Lock()
		code, block := 200, r.block
		if len(r.codes) > 0 {
			code, r.codes = r.codes[0], r.codes[1:]
		}
		r.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-q.Context().Done():
				return
			}
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) next(t *testing.T) hit {
	t.Helper()
	select {
	case h := <-r.hits:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
	return hit{}
}

type rig struct {
	n     *Notifier
	clock *clockwork.FakeClock
	stop  context.CancelFunc
	done  chan struct{}
}

func start(t *testing.T, cfg Config, opts Options) *rig {
	t.Helper()
	clock := clockwork.NewFakeClock()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	opts.Device = "sip:door@pbx.example"
	n, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	n.rnd = func() float64 { return 0.999999 }
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{n: n, clock: clock, stop: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); _ = n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// advance moves the fake clock once the worker waits on a backoff.
func (r *rig) advance(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal("worker is not backing off")
	}
	r.clock.Advance(d)
}

func hook(url string) Webhook {
	return Webhook{URL: url, Secret: testSecret, Timeout: time.Second, Retries: intp(3), BackoffMax: 10 * time.Second}
}

func config(ws ...Webhook) Config {
	c := DefaultConfig()
	c.Webhooks = ws
	return c
}

func opened(who string) device.Event {
	return device.Event{Kind: device.EventDoorOpened, Time: time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC), Who: who}
}

// waitStats polls the counters (they change right after the last request).
func waitStats(t *testing.T, n *Notifier, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := n.Stats()[0]
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWebhookSignedJSON(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	r := start(t, config(hook(rc.srv.URL)), Options{Clock: clockwork.NewRealClock()})
	r.n.Notify(opened("sip:alice@pbx.example"))
	h := rc.next(t)
	if err := Verify(testSecret, h.hdr.Get(HeaderTimestamp), h.hdr.Get(HeaderSignature), h.body, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature: %v (headers %v)", err, h.hdr)
	}
	var p map[string]any
	if err := json.Unmarshal(h.body, &p); err != nil {
		t.Fatal(err)
	}
	if p["event"] != "door-opened" || p["who"] != "sip:alice@pbx.example" || p["device"] != "sip:door@pbx.example" ||
		p["time"] != "2026-12-01T08:30:00Z" || len(p["id"].(string)) != 24 || h.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("payload %s", h.body)
	}
	waitStats(t, r.n, func(s Stats) bool { return s.Delivered == 1 })
}

func TestWebhookUnsignedWithoutSecret(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	w := hook(rc.srv.URL)
	w.Secret = ""
	r := start(t, config(w), Options{})
	r.n.Notify(opened("x"))
	if h := rc.next(t); h.hdr.Get(HeaderSignature) != "" || h.hdr.Get(HeaderTimestamp) != "" {
		t.Errorf("unsigned webhook got %v", h.hdr)
	}
}

func TestWebhookRetriesThenDelivers(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500, 503, 200)
	r := start(t, config(hook(rc.srv.URL)), Options{})
	r.n.Notify(opened("x"))
	first := rc.next(t)
	r.advance(t, time.Second) // 1s, then 2s: capped exponential
	if h := rc.next(t); string(h.body) != string(first.body) {
		t.Errorf("retry changed the body:\n%s\n%s", first.body, h.body)
	}
	r.advance(t, 2*time.Second)
	rc.next(t)
	waitStats(t, r.n, func(s Stats) bool { return s.Delivered == 1 && s.Failed == 0 })
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.block = make(chan struct{}) // never released: the first request times out
	r := start(t, config(hook(rc.srv.URL)), Options{})
	r.n.Notify(opened("x"))
	rc.next(t)
	rc.mu.Lock()
	rc.block = nil
	rc.mu.Unlock()
	r.advance(t, time.Second)
	rc.next(t)
	waitStats(t, r.n, func(s Stats) bool { return s.Delivered == 1 })
}

func TestWebhookGivesUpAndGoesOn(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500, 500, 500, 500, 200)
	r := start(t, config(hook(rc.srv.URL)), Options{})
	r.n.Notify(opened("first"))
	rc.next(t)
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		r.advance(t, d)
		rc.next(t)
	}
	waitStats(t, r.n, func(s Stats) bool { return s.Failed == 1 && s.Delivered == 0 })
	r.n.Notify(opened("second"))
	if h := rc.next(t); !strings.Contains(string(h.body), `"who":"second"`) {
		t.Errorf("next event %s", h.body)
	}
	waitStats(t, r.n, func(s Stats) bool { return s.Delivered == 1 })
}

func TestWebhookPermanentFailureNotRetried(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 404)
	r := start(t, config(hook(rc.srv.URL)), Options{})
	r.n.Notify(opened("x"))
	rc.next(t)
	waitStats(t, r.n, func(s Stats) bool { return s.Failed == 1 })
	select {
	case h := <-rc.hits:
		t.Fatalf("404 retried: %s", h.body)
	default:
	}
}

func TestWebhookQueueDropsOldest(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	release := make(chan struct{})
	rc.block = release
	cfg := config(hook(rc.srv.URL))
	cfg.Queue = 2
	r := start(t, cfg, Options{Clock: clockwork.NewRealClock()})
	r.n.Notify(opened("e1"))
	rc.next(t) // e1 in flight, held by the server
	for _, who := range []string{"e2", "e3", "e4", "e5"} {
		r.n.Notify(opened(who))
	}
	if s := r.n.Stats()[0]; s.Dropped != 2 || s.Pending != 2 {
		t.Fatalf("stats %+v, want 2 dropped and 2 pending", s)
	}
	rc.mu.Lock()
	rc.block = nil
	rc.mu.Unlock()
	close(release)
	for _, want := range []string{"e4", "e5"} {
		if h := rc.next(t); !strings.Contains(string(h.body), `"who":"`+want+`"`) {
			t.Errorf("got %s, want %s", h.body, want)
		}
	}
}

func TestWebhookFilter(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	w := hook(rc.srv.URL)
	w.Events = []string{"missed"}
	r := start(t, config(w), Options{})
	r.n.Notify(opened("x"))
	r.n.Notify(device.Event{Kind: device.EventMissed, Button: 1, Targets: []string{"sip:a@b"}})
	if h := rc.next(t); !strings.Contains(string(h.body), `"event":"missed"`) {
		t.Errorf("filtered webhook got %s", h.body)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"event":"rang"}`)
	sig := Sign(testSecret, now, body)
	ts := "1800000000"
	tests := []struct {
		name            string
		secret, ts, sig string
		body            []byte
		now             time.Time
		ok              bool
	}{
		{"good", testSecret, ts, sig, body, now.Add(10 * time.Second), true},
		{"wrong secret", "another-secret-0123", ts, sig, body, now, false},
		{"tampered body", testSecret, ts, sig, []byte(`{"event":"open"}`), now, false},
		{"replayed later", testSecret, ts, sig, body, now.Add(10 * time.Minute), false},
		{"moved timestamp", testSecret, "1800000001", sig, body, now, false},
		{"garbage timestamp", testSecret, "soon", sig, body, now, false},
	}
	for _, tc := range tests {
		err := Verify(tc.secret, tc.ts, tc.sig, tc.body, tc.now, 5*time.Minute)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadSignature)) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
}

func TestWebhookRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	elsewhere := newReceiver(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, q *http.Request) {
		http.Redirect(w, q, elsewhere.srv.URL, http.StatusTemporaryRedirect)
	})
	redirector := httptest.NewServer(mux)
	t.Cleanup(redirector.Close)
	r := start(t, config(hook(redirector.URL)), Options{})
	r.n.Notify(opened("x"))
	waitStats(t, r.n, func(s Stats) bool { return s.Failed == 1 })
	select {
	case h := <-elsewhere.hits:
		t.Fatalf("redirect followed: %v", h.hdr)
	default:
	}
}

func intp(n int) *int { return &n }

func TestWebhookRetriesDefault(t *testing.T) {
	if got := (Webhook{}).retries(); got != defaultRetries || defaultRetries == 0 {
		t.Fatalf("a webhook without retries retries %d times, want the default %d (> 0)", got, defaultRetries)
	}
	if got := (Webhook{Retries: intp(0)}).retries(); got != 0 {
		t.Fatalf("retries: 0 retries %d times", got)
	}
}
