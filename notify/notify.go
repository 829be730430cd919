package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/device"
)

// Options are a Notifier's dependencies; zero fields take defaults.
type Options struct {
	Device   string          // name or SIP address put in every payload
	Client   *http.Client    // default: no global timeout (each request has its own), no redirects
	Clock    clockwork.Clock // default: the real clock
	Log      *slog.Logger
	Messages MessageSender // nil: messages are not sent
}

// Stats counts one receiver's deliveries.
type Stats struct {
	Name      string // the webhook URL, or "messages"
	Delivered int64
	Failed    int64 // given up after the retries, or refused permanently
	Dropped   int64 // pushed out of a full queue
	Pending   int
}

// Notifier delivers device events to webhooks and as SIP MESSAGEs.
type Notifier struct {
	cfg    Config
	opts   Options
	rnd    func() float64
	sinks  []*sink
	texts  *texts
	mu     sync.Mutex
	closed bool
}

// sink is one receiver with its queue and counters.
type sink struct {
	name                       string
	filter                     []string
	q                          *queue
	deliver                    func(ctx context.Context, p Payload) error
	retries                    int
	backoffMax                 time.Duration
	delivered, failed, dropped atomic.Int64
}

// permanent marks a failure that retrying cannot fix (e.g. 404).
type permanent struct{ error }

// retryAfter carries a server's Retry-After with a failure.
type retryAfter struct {
	error
	d time.Duration
}

// New builds a Notifier for a valid cfg.
func New(cfg Config, opts Options) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notify: invalid config: %w", err)
	}
	if opts.Client == nil {
		// No redirects: a webhook URL that moved is a configuration error
		// (answered as a permanent failure), and signed requests stay with
		// the configured receiver.
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	tx, err := newTexts(cfg.Messages.Texts)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	n := &Notifier{cfg: cfg, opts: opts, rnd: rand.Float64, texts: tx}
	for _, w := range cfg.Webhooks {
		n.sinks = append(n.sinks, n.webhookSink(w))
	}
	if len(cfg.Messages.To) > 0 && opts.Messages != nil {
		n.sinks = append(n.sinks, n.messageSink(cfg.Messages))
	}
	return n, nil
}

func (n *Notifier) webhookSink(w Webhook) *sink {
	if w.Timeout == 0 {
		w.Timeout = defaultTimeout
	}
	if w.BackoffMax == 0 {
		w.BackoffMax = defaultBackoffMax
	}
	s := &sink{name: w.URL, filter: w.Events, q: newQueue(n.cfg.Queue), retries: w.retries(), backoffMax: w.BackoffMax}
	s.deliver = func(ctx context.Context, p Payload) error { return n.post(ctx, w, p) }
	return s
}

// Notify queues ev for every receiver that selects it. It never blocks.
func (n *Notifier) Notify(ev device.Event) {
	p := PayloadOf(ev, n.opts.Device)
	for _, s := range n.sinks {
		if !selects(s.filter, p.Event) {
			continue
		}
		if d := s.q.push(p); d > 0 {
			s.dropped.Add(1)
			if d == 1 || d%100 == 0 {
				n.opts.Log.Warn("notify: receiver is not keeping up, oldest events dropped", "receiver", s.name, "dropped", d)
			}
		}
	}
}

// Run delivers until ctx is done and returns when every worker has
// stopped (an in-flight request is cancelled). Events still queued then
// are dropped and counted in the log.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errors.New("notify: Run called twice")
	}
	n.closed = true
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range n.sinks {
		wg.Add(1)
		go func() { defer wg.Done(); n.work(ctx, s) }()
	}
	wg.Wait()
	for _, s := range n.sinks {
		if left := s.q.len(); left > 0 {
			n.opts.Log.Info("notify: events not delivered at shutdown", "receiver", s.name, "pending", left)
		}
	}
	return nil
}

// Stats returns the counters of every receiver.
func (n *Notifier) Stats() []Stats {
	var out []Stats
	for _, s := range n.sinks {
		out = append(out, Stats{Name: s.name, Delivered: s.delivered.Load(), Failed: s.failed.Load(),
			Dropped: s.dropped.Load(), Pending: s.q.len()})
	}
	return out
}

func (n *Notifier) work(ctx context.Context, s *sink) {
	for {
		p, ok := s.q.pop(ctx)
		if !ok {
			return
		}
		if d := s.q.takeDropped(); d > 0 {
			n.opts.Log.Warn("notify: events dropped while the receiver was failing", "receiver", s.name, "dropped", d)
		}
		n.attempt(ctx, s, p)
	}
}

// attempt delivers p with retries; it gives up on a permanent failure,
// after s.retries retries, or when ctx is done.
func (n *Notifier) attempt(ctx context.Context, s *sink, p Payload) {
	var err error
	for try := 0; try <= s.retries; try++ {
		if try > 0 {
			wait := backoff(time.Second, s.backoffMax, try-1, n.rnd())
			var ra retryAfter
			if errors.As(err, &ra) && ra.d > 0 {
				wait = min(ra.d, s.backoffMax)
			}
			if !n.sleep(ctx, wait) {
				return
			}
		}
		if err = s.deliver(ctx, p); err == nil {
			s.delivered.Add(1)
			return
		}
		if ctx.Err() != nil {
			return
		}
		n.opts.Log.Debug("notify: delivery failed", "receiver", s.name, "event", p.Event, "try", try+1, "err", err)
		var perm permanent
		if errors.As(err, &perm) {
			break
		}
	}
	s.failed.Add(1)
	n.opts.Log.Warn("notify: giving up on an event", "receiver", s.name, "event", p.Event, "id", p.ID, "err", err)
}

func (n *Notifier) sleep(ctx context.Context, d time.Duration) bool {
	t := n.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
		return true
	case <-ctx.Done():
		return false
	}
}

// post sends one webhook request.
func (n *Notifier) post(ctx context.Context, w Webhook, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return permanent{fmt.Errorf("encode %s event: %w", p.Event, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanent{fmt.Errorf("POST %s: %w", w.URL, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sipbell")
	if w.Secret != "" {
		now := n.opts.Clock.Now()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(HeaderSignature, Sign(w.Secret, now, body))
	}
	res, err := n.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", w.URL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch c := res.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == 408 || c == 425 || c == 429 || c >= 500:
		err := fmt.Errorf("POST %s: %s", w.URL, res.Status)
		if s, e := strconv.Atoi(res.Header.Get("Retry-After")); e == nil && s > 0 {
			return retryAfter{err, time.Duration(s) * time.Second}
		}
		return err
	default:
		return permanent{fmt.Errorf("POST %s: %s", w.URL, res.Status)}
	}
}

// backoff returns base·2^attempt capped at max, scaled by [0.5, 1.0).
func backoff(base, max time.Duration, attempt int, rnd float64) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return time.Duration(float64(d) * (0.5 + rnd/2))
}
