package presence

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

type fakeNotifier struct {
	got  chan Notification
	fail error
}

func newFakeNotifier() *fakeNotifier { return &fakeNotifier{got: make(chan Notification, 16)} }

func (f *fakeNotifier) Notify(ctx context.Context, n Notification) error {
	select {
	case f.got <- n:
	case <-ctx.Done():
		return ctx.Err()
	}
	return f.fail
}

func (f *fakeNotifier) next(t *testing.T) Notification {
	t.Helper()
	select {
	case n := <-f.got:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no NOTIFY")
	}
	return Notification{}
}

type mgrRig struct {
	m     *Manager
	clock *clockwork.FakeClock
}

func newMgrRig(t *testing.T, cfg ManagerConfig) *mgrRig {
	t.Helper()
	cfg.Entity = "sip:door@pbx.example"
	clock := clockwork.NewFakeClock()
	allow := func(r SubscribeRequest) bool { return strings.HasSuffix(r.From, "@pbx.example") }
	m, err := NewManager(cfg, allow, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return &mgrRig{m: m, clock: clock}
}

var nextDialog atomic.Int64

func sub(event string, exp time.Duration) SubscribeRequest {
	return SubscribeRequest{Event: event, Expires: exp, HasExpires: true, From: "sip:alice@pbx.example",
		Source: netip.MustParseAddrPort("192.0.2.7:5060"), DialogID: fmt.Sprintf("d%d", nextDialog.Add(1))}
}

// block waits until a subscription waits on its expiry timer.
func (r *mgrRig) block(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal("no subscription timer")
	}
}

func (r *mgrRig) subscribe(req SubscribeRequest, n Notifier) SubscribeAnswer {
	var ans SubscribeAnswer
	r.m.Subscribe(req, n, func(a SubscribeAnswer) { ans = a })
	return ans
}

func presenceOf(t *testing.T, n Notification) State {
	t.Helper()
	p, err := ParsePIDF(n.Body)
	if err != nil {
		t.Fatal(err)
	}
	return StatusOf(p).State
}

func TestManagerPresenceLifecycle(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	f := newFakeNotifier()
	req := sub(EventPresence, 600*time.Second)
	if a := r.subscribe(req, f); a.Status != 200 || a.Expires != 600*time.Second {
		t.Fatalf("answer %+v", a)
	}
	n := f.next(t)
	if n.SubscriptionState() != "active;expires=600" || n.ContentType != ContentTypePIDF || presenceOf(t, n) != Idle {
		t.Fatalf("first NOTIFY %+v", n)
	}
	for _, st := range []State{Ringing, InCall, Idle} {
		r.m.Set(Status{State: st})
		if n := f.next(t); presenceOf(t, n) != st || n.State != "active" {
			t.Fatalf("NOTIFY for %v: %+v", st, n)
		}
	}
	req.InDialog, req.Expires = true, 0
	if a := r.subscribe(req, f); a.Status != 200 {
		t.Fatalf("un-subscribe answer %+v", a)
	}
	if n := f.next(t); n.SubscriptionState() != "terminated;reason=timeout" || presenceOf(t, n) != Idle {
		t.Fatalf("final NOTIFY %+v", n)
	}
}

func TestManagerDialogPackage(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	f := newFakeNotifier()
	req := sub(EventDialog, time.Hour)
	req.Accept = []string{"application/dialog-info+xml"}
	if a := r.subscribe(req, f); a.Status != 200 {
		t.Fatalf("answer %+v", a)
	}
	call := Dialog{ID: "c1", CallID: "abc@h", Direction: Recipient, State: Confirmed,
		Remote: Identity{URI: "sip:alice@pbx.example", Display: "Alice"}}
	steps := []struct {
		set  func()
		want []DialogState
	}{
		{func() {}, nil},
		{func() { r.m.Set(Status{State: Ringing}) }, []DialogState{Early}},
		{func() { r.m.Set(Status{State: InCall}, call) }, []DialogState{Confirmed}},
		{func() { r.m.Set(Status{State: Idle}) }, nil},
	}
	for i, s := range steps {
		s.set()
		n := f.next(t)
		di, err := ParseDialogInfo(n.Body)
		if err != nil || n.ContentType != ContentTypeDialogInfo {
			t.Fatalf("step %d: %v %q", i, err, n.ContentType)
		}
		var got []DialogState
		for _, d := range di.Dialogs {
			got = append(got, d.State)
		}
		if di.Version != uint32(i) || !di.Full || fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Fatalf("step %d: version %d states %v, want %d %v", i, di.Version, got, i, s.want)
		}
		if i == 2 && (di.Dialogs[0].Remote.URI != "sip:alice@pbx.example" || di.Dialogs[0].Direction != Recipient) {
			t.Errorf("call details lost: %+v", di.Dialogs[0])
		}
	}
}

func TestManagerRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    ManagerConfig
		mod    func(*SubscribeRequest)
		status int
		check  func(SubscribeAnswer) bool
	}{
		{"unknown event", ManagerConfig{}, func(r *SubscribeRequest) { r.Event = "message-summary" }, 489, nil},
		{"bad accept", ManagerConfig{}, func(r *SubscribeRequest) { r.Accept = []string{"application/xpidf+xml"} }, 406, nil},
		{"unknown watcher", ManagerConfig{}, func(r *SubscribeRequest) { r.From = "sip:mallory@evil.example" }, 403, nil},
		{"too brief", ManagerConfig{MinExpires: time.Minute}, func(r *SubscribeRequest) { r.Expires = 10 * time.Second }, 423,
			func(a SubscribeAnswer) bool { return a.MinExpires == time.Minute }},
		{"unknown dialog", ManagerConfig{}, func(r *SubscribeRequest) { r.InDialog = true }, 481, nil},
		{"full 503", ManagerConfig{MaxSubscriptions: 1, RetryAfter: time.Minute}, nil, 503,
			func(a SubscribeAnswer) bool { return a.RetryAfter == time.Minute }},
		{"full 403", ManagerConfig{MaxSubscriptions: 1, RefuseStatus: 403}, nil, 403, nil},
		{"clamped", ManagerConfig{MaxExpires: time.Hour}, func(r *SubscribeRequest) { r.Expires = 24 * time.Hour }, 200,
			func(a SubscribeAnswer) bool { return a.Expires == time.Hour }},
		{"default expiry", ManagerConfig{DefaultExpires: 20 * time.Minute}, func(r *SubscribeRequest) { r.HasExpires = false }, 200,
			func(a SubscribeAnswer) bool { return a.Expires == 20*time.Minute }},
		{"accept list", ManagerConfig{}, func(r *SubscribeRequest) { r.Accept = []string{"application/xpidf+xml, application/pidf+xml;q=0.5"} }, 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newMgrRig(t, tc.cfg)
			if tc.cfg.MaxSubscriptions == 1 {
				if a := r.subscribe(sub(EventPresence, time.Hour), newFakeNotifier()); a.Status != 200 {
					t.Fatalf("first subscription: %+v", a)
				}
			}
			req := sub(EventPresence, time.Hour)
			if tc.mod != nil {
				tc.mod(&req)
			}
			a := r.subscribe(req, newFakeNotifier())
			if a.Status != tc.status || (tc.check != nil && !tc.check(a)) {
				t.Errorf("answer %+v, want %d", a, tc.status)
			}
		})
	}
}

func TestManagerExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	f := newFakeNotifier()
	req := sub(EventPresence, 60*time.Second)
	r.subscribe(req, f)
	f.next(t)
	r.block(t)
	r.clock.Advance(50 * time.Second)
	req.InDialog, req.Expires = true, 120*time.Second
	if a := r.subscribe(req, f); a.Status != 200 || a.Expires != 120*time.Second {
		t.Fatalf("refresh answer %+v", a)
	}
	if n := f.next(t); n.SubscriptionState() != "active;expires=120" {
		t.Fatalf("NOTIFY after refresh: %s", n.SubscriptionState())
	}
	r.clock.Advance(60 * time.Second) // the old expiry passes: still active
	r.block(t)
	r.clock.Advance(60 * time.Second)
	if n := f.next(t); n.SubscriptionState() != "terminated;reason=timeout" {
		t.Fatalf("NOTIFY at expiry: %s", n.SubscriptionState())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.m.Shutdown(ctx); err != nil || r.m.Count() != 0 {
		t.Fatalf("shutdown %v, count %d", err, r.m.Count())
	}
}

func TestManagerShutdownAndFailure(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	ok, bad := newFakeNotifier(), newFakeNotifier()
	bad.fail = errors.New("481 Call/Transaction Does Not Exist")
	r.subscribe(sub(EventPresence, time.Hour), ok)
	r.subscribe(sub(EventDialog, time.Hour), bad)
	ok.next(t)
	bad.next(t) // fails: that subscription ends without more NOTIFYs
	r.m.Set(Status{State: Ringing})
	ok.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ok.next(t); n.SubscriptionState() != "terminated;reason=noresource" {
		t.Fatalf("NOTIFY at shutdown: %s", n.SubscriptionState())
	}
	select {
	case n := <-bad.got:
		t.Fatalf("NOTIFY after a failed one: %+v", n)
	default:
	}
	if a := r.subscribe(sub(EventPresence, time.Hour), ok); a.Status != 503 {
		t.Fatalf("subscribe after shutdown: %+v", a)
	}
}

func TestManagerFetch(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	f := newFakeNotifier()
	r.m.Set(Status{State: InCall})
	if a := r.subscribe(sub(EventPresence, 0), f); a.Status != 200 {
		t.Fatalf("fetch answer %+v", a)
	}
	n := f.next(t)
	if n.State != "terminated" || presenceOf(t, n) != InCall || r.m.Count() != 0 {
		t.Fatalf("fetch NOTIFY %+v count %d", n, r.m.Count())
	}
}

// stuckNotifier never gets an answer: only cancellation ends Notify.
type stuckNotifier struct{ started chan struct{} }

func (s stuckNotifier) Notify(ctx context.Context, n Notification) error {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestManagerShutdownCutsShort(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{NotifyTimeout: time.Hour})
	s := stuckNotifier{started: make(chan struct{}, 1)}
	r.subscribe(sub(EventPresence, time.Hour), s)
	<-s.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.m.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v", err)
	}
	if n := r.m.Count(); n != 0 {
		t.Errorf("%d subscriptions left after shutdown", n)
	}
}
