package presence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// fakeSender hands each PUBLISH to the test and returns what it is told.
type fakeSender struct {
	reqs  chan PublishRequest
	resps chan fakeResult
}

type fakeResult struct {
	res PublishResponse
	err error
}

func newFakeSender() *fakeSender {
	return &fakeSender{reqs: make(chan PublishRequest), resps: make(chan fakeResult)}
}

func (f *fakeSender) Publish(ctx context.Context, r PublishRequest) (PublishResponse, error) {
	select {
	case f.reqs <- r:
	case <-ctx.Done():
		return PublishResponse{}, ctx.Err()
	}
	select {
	case x := <-f.resps:
		return x.res, x.err
	case <-ctx.Done():
		return PublishResponse{}, ctx.Err()
	}
}

type pubRig struct {
	t     *testing.T
	f     *fakeSender
	clock *clockwork.FakeClock
	p     *Publisher
	ctx   context.Context
	stop  context.CancelFunc
	done  chan struct{}
}

func newPubRig(t *testing.T) *pubRig {
	t.Helper()
	r := &pubRig{t: t, f: newFakeSender(), clock: clockwork.NewFakeClock(), done: make(chan struct{})}
	p, err := NewPublisher(r.f, PublisherConfig{Entity: "sip:door@pbx.example", Expires: time.Hour,
		BackoffBase: 2 * time.Second, BackoffMax: time.Minute}, r.clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.rnd = func() float64 { return 0.999999 } // backoff = the full interval
	r.p = p
	var cancel context.CancelFunc
	r.ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	runCtx, stop := context.WithCancel(r.ctx)
	r.stop = stop
	go func() { defer close(r.done); _ = p.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		for { // answer the removal, if any, until Run returns
			select {
			case <-r.f.reqs:
				r.f.resps <- fakeResult{res: PublishResponse{Status: 200}}
			case <-r.done:
				cancel()
				return
			}
		}
	})
	return r
}

// next waits for the next PUBLISH.
func (r *pubRig) next() PublishRequest {
	r.t.Helper()
	select {
	case q := <-r.f.reqs:
		return q
	case <-r.ctx.Done():
		r.t.Fatal("no PUBLISH sent")
	}
	return PublishRequest{}
}

func (r *pubRig) reply(res PublishResponse, err error) {
	r.t.Helper()
	select {
	case r.f.resps <- fakeResult{res, err}:
	case <-r.ctx.Done():
		r.t.Fatal("publisher did not take the response")
	}
}

// settle waits until the publisher has handled the last response and
// waits on a timer.
func (r *pubRig) settle() {
	r.t.Helper()
	if err := r.clock.BlockUntilContext(r.ctx, 1); err != nil {
		r.t.Fatal("publisher is not waiting on a timer")
	}
}

// advance waits until the publisher waits on a timer, then moves time.
func (r *pubRig) advance(d time.Duration) {
	r.t.Helper()
	if err := r.clock.BlockUntilContext(r.ctx, 1); err != nil {
		r.t.Fatal("publisher is not waiting on a timer")
	}
	r.clock.Advance(d)
}

func expectStatus(t *testing.T, q PublishRequest, want State) {
	t.Helper()
	if q.ContentType != ContentTypePIDF {
		t.Fatalf("content type %q, want %s", q.ContentType, ContentTypePIDF)
	}
	p, err := ParsePIDF(q.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := StatusOf(p).State; got != want {
		t.Fatalf("published %v, want %v", got, want)
	}
}

func ok(etag string, exp time.Duration) PublishResponse {
	return PublishResponse{Status: 200, ETag: etag, Expires: exp}
}

func TestPublisherLifecycle(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	q := r.next()
	if q.IfMatch != "" || q.Expires != time.Hour {
		t.Fatalf("initial PUBLISH %+v", q)
	}
	expectStatus(t, q, Idle)
	r.reply(ok("e1", 60*time.Second), nil)

	r.advance(47 * time.Second) // refresh is due at 4/5 of 60s
	r.advance(time.Second)
	q = r.next()
	if q.IfMatch != "e1" {
		t.Fatalf("refresh %+v, want SIP-If-Match e1", q)
	}
	expectStatus(t, q, Idle) // the body again (see TestRefreshKeepsBodyKamailio)
	r.reply(ok("e2", 60*time.Second), nil)

	for i, st := range []State{Ringing, InCall, Idle} {
		r.p.Set(Status{State: st})
		q = r.next()
		if want := []string{"e2", "e3", "e4"}[i]; q.IfMatch != want {
			t.Fatalf("modify %d: SIP-If-Match %q, want %q", i, q.IfMatch, want)
		}
		expectStatus(t, q, st)
		r.reply(ok([]string{"e3", "e4", "e5"}[i], 60*time.Second), nil)
	}
	r.p.Set(Status{State: Idle}) // no change: nothing is sent before the refresh
	r.advance(48 * time.Second)
	if q = r.next(); q.IfMatch != "e5" {
		t.Fatalf("after an unchanged Set: %+v, want a refresh", q)
	}
	expectStatus(t, q, Idle)
	r.reply(ok("e6", 60*time.Second), nil)
	r.settle()
	if s := r.p.State(); !s.Published || s.ETag != "e6" || s.Code != 200 {
		t.Errorf("state %+v", s)
	}

	r.stop()
	q = r.next()
	if q.Expires != 0 || q.IfMatch != "e6" || q.Body != nil {
		t.Fatalf("removal %+v, want Expires 0 with SIP-If-Match e6", q)
	}
	r.reply(ok("e7", 0), nil)
	<-r.done
}

func TestPublisher412RepublishesAfresh(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	r.next()
	r.reply(ok("e1", time.Hour), nil)
	r.p.Set(Status{State: Ringing})
	if q := r.next(); q.IfMatch != "e1" {
		t.Fatalf("modify %+v", q)
	}
	r.reply(PublishResponse{Status: 412}, nil)
	q := r.next()
	if q.IfMatch != "" {
		t.Fatalf("after 412: SIP-If-Match %q, want an initial PUBLISH", q.IfMatch)
	}
	expectStatus(t, q, Ringing)
	r.reply(ok("f1", time.Hour), nil)
}

func TestPublisher423TakesMinExpires(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	r.next()
	r.reply(PublishResponse{Status: 423, MinExpires: 2 * time.Hour}, nil)
	if q := r.next(); q.Expires != 2*time.Hour || q.Body == nil {
		t.Fatalf("after 423: %+v, want Expires 2h with body", q)
	}
	r.reply(ok("e1", 2*time.Hour), nil)
}

func TestPublisherBackoff(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	r.next()
	r.reply(PublishResponse{}, errors.New("no route"))
	r.settle()
	if s := r.p.State(); s.Err == "" || s.Published {
		t.Errorf("state after failure %+v", s)
	}
	r.p.Set(Status{State: Ringing}) // does not cut the backoff short
	r.advance(2*time.Second - time.Millisecond)
	select {
	case q := <-r.f.reqs:
		t.Fatalf("retried before the backoff: %+v", q)
	default:
	}
	r.clock.Advance(time.Millisecond)
	q := r.next()
	expectStatus(t, q, Ringing)
	r.reply(PublishResponse{Status: 503}, nil)
	r.advance(4 * time.Second) // doubled
	r.next()
	r.reply(PublishResponse{Status: 503, RetryAfter: 30 * time.Second}, nil)
	r.advance(30 * time.Second) // Retry-After wins
	r.next()
	r.reply(ok("e1", time.Hour), nil)
	r.settle()
	if s := r.p.State(); !s.Published || s.Err != "" {
		t.Errorf("state after recovery %+v", s)
	}
}

func TestPublisherNoETagIsAFailure(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	r.next()
	r.reply(PublishResponse{Status: 200}, nil)
	r.advance(2 * time.Second)
	if q := r.next(); q.IfMatch != "" {
		t.Fatalf("retry %+v, want an initial PUBLISH", q)
	}
	r.reply(ok("e1", time.Hour), nil)
}

func TestPublisherStopWithoutPublication(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	r.next()
	r.reply(PublishResponse{Status: 403}, nil)
	r.stop()
	select {
	case <-r.done:
	case q := <-r.f.reqs:
		t.Fatalf("removal sent without a publication: %+v", q)
	}
}

func TestNewPublisherBadEntity(t *testing.T) {
	t.Parallel()
	if _, err := NewPublisher(newFakeSender(), PublisherConfig{Entity: "door"}, nil, nil); err == nil {
		t.Fatal("no error for entity \"door\"")
	}
}

func TestStatusPIDFRoundTrip(t *testing.T) {
	t.Parallel()
	for _, st := range []Status{{State: Idle}, {State: Ringing}, {State: InCall}, {State: Away, Note: "Door left open"}, {State: Offline}} {
		b, err := st.PIDF("sip:door@h", "").Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePIDF(b)
		if err != nil {
			t.Fatal(err)
		}
		got := StatusOf(p)
		if got.State != st.State || got.Note != st.Text() {
			t.Errorf("%v: read back %+v", st, got)
		}
	}
}

// TestPublisherRetryEndsBackoff: after failures (the server was down)
// Retry sends the latest status at once instead of after the backoff, and
// does nothing while the publication is healthy.
func TestPublisherRetryEndsBackoff(t *testing.T) {
	t.Parallel()
	r := newPubRig(t)
	expectStatus(t, r.next(), Idle)
	r.reply(ok("e1", time.Hour), nil)
	r.settle()
	r.p.Retry() // healthy: no PUBLISH before the status changes
	r.p.Set(Status{State: Offline})
	q := r.next()
	expectStatus(t, q, Offline)
	r.reply(PublishResponse{}, errors.New("timeout"))
	r.advance(2 * time.Second)
	expectStatus(t, r.next(), Offline)
	r.reply(PublishResponse{}, errors.New("timeout")) // backoff now 4s
	r.settle()
	r.p.Set(Status{State: Idle}) // registered again: the kick waits for the backoff...
	r.p.Retry()                  // ...Retry does not
	q = r.next()
	expectStatus(t, q, Idle)
	if q.IfMatch != "e1" {
		t.Errorf("PUBLISH after Retry has SIP-If-Match %q, want e1", q.IfMatch)
	}
	r.reply(ok("e2", time.Hour), nil)
	r.settle()
	if s := r.p.State(); !s.Published || s.Status.State != Idle {
		t.Errorf("state after Retry %+v", s)
	}
}
