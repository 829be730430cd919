package presence

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// PublishRequest is one PUBLISH (RFC 3903) as the publisher wants it
// sent. The Sender supplies the Request-URI (the entity), From/To,
// Call-ID, CSeq, Event: presence, routing and digest authentication.
type PublishRequest struct {
	Expires     time.Duration // 0 removes the publication
	IfMatch     string        // SIP-If-Match; "" for an initial publication
	ContentType string        // "" when Body is empty (a refresh or a removal)
	Body        []byte
}

// PublishResponse is the final response to a PUBLISH, reduced to what
// the publisher needs. Durations are 0 when the header is absent.
type PublishResponse struct {
	Status     int
	ETag       string        // SIP-ETag
	Expires    time.Duration // Expires granted
	MinExpires time.Duration // Min-Expires of a 423
	RetryAfter time.Duration // Retry-After
}

// Sender sends one PUBLISH and returns its final response. An error means
// no final response (transport error, timeout).
type Sender interface {
	Publish(ctx context.Context, req PublishRequest) (PublishResponse, error)
}

// PublisherConfig tunes a Publisher; zero fields take the defaults.
type PublisherConfig struct {
	Entity        string        // presentity URI, used in the PIDF entity
	Contact       string        // optional contact URI in the tuple
	Expires       time.Duration // asked for (default 1h)
	BackoffBase   time.Duration // first retry after a failure (default 2s)
	BackoffMax    time.Duration // cap of the backoff (default 5m)
	Timeout       time.Duration // one PUBLISH, digest included (default 32s)
	RemoveTimeout time.Duration // the Expires: 0 at shutdown (default 2s)
}

func (c *PublisherConfig) defaults() {
	if c.Expires <= 0 {
		c.Expires = time.Hour
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 32 * time.Second
	}
	if c.RemoveTimeout <= 0 {
		c.RemoveTimeout = 2 * time.Second
	}
}

// PublishState is the publisher's state, for the status page.
type PublishState struct {
	Status    Status    // the status last asked for
	Published bool      // the server holds our current status
	ETag      string    // entity tag of the publication
	Until     time.Time // when the publication expires if not refreshed
	Code      int       // last final response code, 0 when none
	Err       string    // last failure, "" after a success
	// Unsupported: the server answered that it does not take presence
	// PUBLISH (404, 405, 489 or 501); publishing stopped for this Run.
	Unsupported bool
}

// Publisher keeps the device's presence published: the initial PUBLISH,
// refreshes before expiry (with the body, see step), a modification
// on every change of status (all with SIP-If-Match), a fresh initial
// PUBLISH after 412, the server's Min-Expires after 423, backoff with
// jitter (or Retry-After) on failure, and removal at shutdown. A server
// that does not take presence (404, 405, 489 Bad Event, 501) is told once
// in the log and left alone until the next Run (a new configuration or a
// restart).
type Publisher struct {
	send  Sender
	cfg   PublisherConfig
	clock clockwork.Clock
	log   *slog.Logger
	rnd   func() float64

	mu    sync.Mutex
	want  Status
	state PublishState
	kick  chan struct{}
	retry chan struct{} // Retry: end a backoff
}

// NewPublisher returns a publisher of cfg.Entity's presence through s.
func NewPublisher(s Sender, cfg PublisherConfig, clock clockwork.Clock, log *slog.Logger) (*Publisher, error) {
	if err := validURI("entity", cfg.Entity); err != nil {
		return nil, fmt.Errorf("presence: new publisher: %w", err)
	}
	cfg.defaults()
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{send: s, cfg: cfg, clock: clock, log: log, rnd: rand.Float64,
		kick: make(chan struct{}, 1), retry: make(chan struct{}, 1)}, nil
}

// Set asks for st to be published. It never blocks; when several changes
// come quickly, the latest wins.
func (p *Publisher) Set(st Status) {
	p.mu.Lock()
	p.want = st
	p.state.Status = st
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Retry ends a backoff after failures: the server is reachable again
// (the account registered), so the latest status goes out now instead of
// minutes later. Without a failure it does nothing. It never blocks.
func (p *Publisher) Retry() {
	select {
	case p.retry <- struct{}{}:
	default:
	}
}

// State returns a snapshot of the publication.
func (p *Publisher) State() PublishState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// pubRun is the state of one Run.
type pubRun struct {
	etag      string
	published Status // what the server holds (valid when etag != "")
	dirty     bool   // the next PUBLISH changes the published status
	expires   time.Duration
	failures  int
	fresh412  int
	brief423  int
	stopped   bool // the server does not take presence
}

// Run publishes until ctx is done, then removes the publication (bounded
// by RemoveTimeout) and returns nil.
func (p *Publisher) Run(ctx context.Context) error {
	r := &pubRun{dirty: true, expires: p.cfg.Expires}
	for {
		wait := p.step(ctx, r)
		if r.stopped {
			<-ctx.Done()
			return nil
		}
		if !p.sleep(ctx, r, wait) {
			p.remove(ctx, r)
			return nil
		}
	}
}

// sleep waits d, or less when the status changes (unless backing off);
// it reports false when ctx is done.
func (p *Publisher) sleep(ctx context.Context, r *pubRun, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := p.clock.NewTimer(d)
	defer t.Stop()
	kick := p.kick
	if r.failures > 0 {
		kick = nil // honour the backoff; the latest status goes out after it
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.Chan():
			return true
		case <-p.retry:
			if r.failures > 0 {
				r.failures = 0 // a fresh start: the backoff begins again at BackoffBase
				return true
			}
		case <-kick:
			p.mu.Lock()
			changed := p.want != r.published || r.etag == ""
			p.mu.Unlock()
			if changed {
				r.dirty = true
				return true
			}
		}
	}
}

// step sends the PUBLISH due now and returns how long to wait before the
// next one (0: at once).
func (p *Publisher) step(ctx context.Context, r *pubRun) time.Duration {
	p.mu.Lock()
	want := p.want
	p.mu.Unlock()
	r.dirty = r.etag == "" || want != r.published
	// Every PUBLISH carries the document, refreshes too: RFC 3903 allows
	// a refresh without a body, but Kamailio 5.6 with publ_cache=2 then
	// serves new watchers an empty NOTIFY body (the door looks offline).
	body, err := want.PIDF(p.cfg.Entity, p.cfg.Contact).Marshal()
	if err != nil { // a note the PIDF rules refuse: publish without it
		p.log.Warn("presence: note not publishable, using the default", "err", err)
		want.Note = ""
		body, _ = want.PIDF(p.cfg.Entity, p.cfg.Contact).Marshal()
	}
	req := PublishRequest{Expires: r.expires, IfMatch: r.etag, ContentType: ContentTypePIDF, Body: body}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	res, err := p.send.Publish(cctx, req)
	cancel()
	if err != nil && ctx.Err() != nil {
		return 0 // stopping; a response that did arrive is still used below
	}
	return p.handle(r, req, want, res, err)
}

func (p *Publisher) handle(r *pubRun, req PublishRequest, want Status, res PublishResponse, err error) time.Duration {
	kind := "refresh"
	switch {
	case req.IfMatch == "":
		kind = "initial"
	case r.dirty:
		kind = "modify"
	}
	switch {
	case err != nil:
		return p.fail(r, 0, fmt.Sprintf("%s PUBLISH: %v", kind, err), 0)
	case res.Status >= 200 && res.Status < 300:
		if res.ETag == "" {
			return p.fail(r, res.Status, fmt.Sprintf("%s PUBLISH: %d without SIP-ETag", kind, res.Status), 0)
		}
		granted := res.Expires
		if granted <= 0 || granted > r.expires {
			granted = r.expires
		}
		r.etag, r.failures, r.fresh412, r.brief423 = res.ETag, 0, 0, 0
		r.published, r.dirty = want, false
		p.record(func(s *PublishState) {
			s.Published, s.ETag, s.Until, s.Code, s.Err = !r.dirty, r.etag, p.clock.Now().Add(granted), res.Status, ""
		})
		p.log.Debug("presence published", "kind", kind, "status", want.State.String(), "etag", r.etag, "expires", granted)
		if granted < 2*time.Second {
			return time.Second
		}
		return granted * 4 / 5
	case unsupported(res.Status):
		r.stopped, r.etag = true, ""
		p.record(func(s *PublishState) {
			s.Published, s.ETag, s.Code, s.Unsupported = false, "", res.Status, true
			s.Err = fmt.Sprintf("%s PUBLISH: %d: the server does not take presence", kind, res.Status)
		})
		p.log.Warn("presence: the PBX does not take presence; publishing stopped until the configuration changes or sipbell restarts",
			"entity", p.cfg.Entity, "code", res.Status, "hint", "presence.publish: false turns publishing off")
		return 0
	case res.Status == 412:
		r.etag, r.dirty = "", true
		r.fresh412++
		p.log.Info("presence: publication unknown to the server (412), publishing afresh")
		if r.fresh412 <= 2 {
			return 0
		}
	case res.Status == 423 && res.MinExpires > r.expires && r.brief423 < 3:
		r.brief423++
		r.expires = res.MinExpires
		p.log.Info("presence: server wants a longer expiry", "min_expires", res.MinExpires)
		return 0
	}
	return p.fail(r, res.Status, fmt.Sprintf("%s PUBLISH: %d", kind, res.Status), res.RetryAfter)
}

// unsupported reports a final answer meaning the server does not take
// presence PUBLISH at all: no such entity or service (404), method not
// allowed (405), event package not supported (489 Bad Event), not
// implemented (501). Retrying cannot help.
func unsupported(code int) bool { return code == 404 || code == 405 || code == 489 || code == 501 }

// fail records a failure and returns the backoff (or retryAfter).
func (p *Publisher) fail(r *pubRun, code int, msg string, retryAfter time.Duration) time.Duration {
	d := backoff(p.cfg.BackoffBase, p.cfg.BackoffMax, r.failures, p.rnd())
	if retryAfter > 0 {
		d = min(retryAfter, p.cfg.BackoffMax*12)
	}
	r.failures++
	p.record(func(s *PublishState) { s.Published, s.Code, s.Err = false, code, msg })
	p.log.Warn("presence: publish failed", "err", msg, "retry_in", d)
	return d
}

func (p *Publisher) record(f func(*PublishState)) {
	p.mu.Lock()
	f(&p.state)
	p.mu.Unlock()
}

// remove sends Expires: 0 for the current publication.
func (p *Publisher) remove(ctx context.Context, r *pubRun) {
	if r.etag == "" {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.RemoveTimeout)
	defer cancel()
	res, err := p.send.Publish(cctx, PublishRequest{Expires: 0, IfMatch: r.etag})
	if err != nil {
		p.log.Info("presence: removal at shutdown failed", "err", err)
	} else {
		p.log.Debug("presence removed", "code", res.Status)
	}
	p.record(func(s *PublishState) { s.Published, s.ETag, s.Code = false, "", res.Status })
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
