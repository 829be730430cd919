package presence

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Event packages a watcher may subscribe to.
const (
	EventPresence = "presence" // PIDF bodies
	EventDialog   = "dialog"   // dialog-info bodies (BLF keys)
)

// SubscribeRequest is a SUBSCRIBE reduced to what the manager decides on.
type SubscribeRequest struct {
	Event      string        // Event header's package, e.g. "dialog"
	EventID    string        // its id parameter, if any
	Expires    time.Duration // requested expiry
	HasExpires bool          // an Expires header was present
	Accept     []string      // Accept header media types (empty: the package's default)
	From       string        // subscriber's URI (From)
	Source     netip.AddrPort
	DialogID   string // identifies the subscription's dialog
	InDialog   bool   // a refresh or un-subscribe (To tag present)
	// Admitted: SIPWatchers.Admit admitted the subscriber (a trusted
	// proxy, a digest answer or the source network); Identity is who it
	// verified ("" when admitted by network without identity).
	Admitted bool
	Identity string
}

// SubscribeAnswer is the response the integrator sends: Status, and
// Expires for 2xx, MinExpires for 423, RetryAfter for 503.
type SubscribeAnswer struct {
	Status     int
	Reason     string // why, for logs
	Expires    time.Duration
	MinExpires time.Duration
	RetryAfter time.Duration
}

// Notification is one NOTIFY to send within a subscription's dialog.
type Notification struct {
	Event       string
	EventID     string
	State       string        // Subscription-State value: "active" or "terminated"
	Expires     time.Duration // for active: the time left
	Reason      string        // for terminated: timeout, noresource, deactivated
	ContentType string
	Body        []byte
}

// SubscriptionState returns the Subscription-State header value.
func (n Notification) SubscriptionState() string {
	if n.State == "terminated" {
		if n.Reason != "" {
			return "terminated;reason=" + n.Reason
		}
		return "terminated"
	}
	return fmt.Sprintf("active;expires=%d", int(n.Expires.Round(time.Second)/time.Second))
}

// Notifier sends NOTIFYs within one subscription's dialog. Notify
// returns an error when no 2xx came back; the subscription then ends.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// ManagerConfig bounds the subscriptions; zero fields take defaults.
type ManagerConfig struct {
	Entity           string        // presentity URI of the bodies, e.g. "sip:door@pbx"
	Contact          string        // optional tuple contact
	MaxSubscriptions int           // default 16
	DefaultExpires   time.Duration // when SUBSCRIBE has no Expires (default 1h; RFC 6665 leaves it to the package)
	MinExpires       time.Duration // shorter asks get 423 (default 60s)
	MaxExpires       time.Duration // longer asks are shortened (default 2h)
	RefuseStatus     int           // beyond MaxSubscriptions: 503 (default, with Retry-After) or 403
	RetryAfter       time.Duration // with 503 (default 5m)
	NotifyTimeout    time.Duration // one NOTIFY (default 32s)
}

func (c *ManagerConfig) defaults() {
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = 16
	}
	if c.DefaultExpires <= 0 {
		c.DefaultExpires = time.Hour
	}
	if c.MinExpires <= 0 {
		c.MinExpires = 60 * time.Second
	}
	if c.MaxExpires <= 0 {
		c.MaxExpires = 2 * time.Hour
	}
	if c.RefuseStatus != 403 {
		c.RefuseStatus = 503
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Minute
	}
	if c.NotifyTimeout <= 0 {
		c.NotifyTimeout = 32 * time.Second
	}
}

// Manager answers SUBSCRIBE for the presence and dialog packages and
// notifies every watcher of each change until its subscription expires,
// is ended by the watcher, or the manager shuts down.
type Manager struct {
	cfg   ManagerConfig
	allow func(SubscribeRequest) bool
	clock clockwork.Clock
	log   *slog.Logger

	mu      sync.Mutex
	status  Status
	calls   []Dialog
	subs    map[string]*subscription
	closed  bool
	wg      sync.WaitGroup
	stopAll chan struct{} // closed by Shutdown: send the final NOTIFYs
	abort   chan struct{} // closed when Shutdown gives up: cancel NOTIFYs in flight
	once    sync.Once
}

// NewManager returns a manager; allow decides whether a watcher may
// subscribe (for example: it came through a trusted proxy, or its From
// or source is on the allow-list).
func NewManager(cfg ManagerConfig, allow func(SubscribeRequest) bool, clock clockwork.Clock, log *slog.Logger) (*Manager, error) {
	if err := validURI("entity", cfg.Entity); err != nil {
		return nil, fmt.Errorf("presence: new manager: %w", err)
	}
	if allow == nil {
		return nil, fmt.Errorf("presence: new manager: no allow function")
	}
	cfg.defaults()
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, allow: allow, clock: clock, log: log, subs: map[string]*subscription{},
		stopAll: make(chan struct{}), abort: make(chan struct{})}, nil
}

// Count returns the number of active subscriptions.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}

// Set changes the state every watcher sees and notifies them. calls are
// the dialogs for the dialog package; with none given they are derived
// from st (Ringing: one early dialog, InCall: one confirmed dialog).
func (m *Manager) Set(st Status, calls ...Dialog) {
	m.mu.Lock()
	m.status, m.calls = st, append([]Dialog(nil), calls...)
	subs := make([]*subscription, 0, len(m.subs))
	for _, s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.poke()
	}
}

// Subscribe decides on req, calls respond with the answer (the integrator
// sends it) and then, for an accepted subscription, sends the NOTIFYs
// through dlg. It never blocks on the network.
func (m *Manager) Subscribe(req SubscribeRequest, dlg Notifier, respond func(SubscribeAnswer)) {
	ans, sub, final := m.decide(req, dlg)
	respond(ans)
	switch {
	case sub != nil && !req.InDialog: // wg.Add done by decide
		go func() { defer m.wg.Done(); m.serve(sub) }()
		sub.poke()
	case sub != nil:
		sub.refresh(final)
	case final && ans.Status < 300: // a fetch (Expires: 0 on a new subscription)
		go func() {
			defer m.wg.Done()
			s := m.newSub(req, dlg, 0)
			m.send(s, "terminated", "timeout")
		}()
	}
}

func (m *Manager) decide(req SubscribeRequest, dlg Notifier) (SubscribeAnswer, *subscription, bool) {
	pkg := strings.ToLower(strings.TrimSpace(req.Event))
	if pkg != EventPresence && pkg != EventDialog {
		return SubscribeAnswer{Status: 489, Reason: fmt.Sprintf("event package %q not supported", req.Event)}, nil, false
	}
	if !accepts(req.Accept, contentTypeOf(pkg)) {
		return SubscribeAnswer{Status: 406, Reason: "Accept lacks " + contentTypeOf(pkg)}, nil, false
	}
	exp := m.cfg.DefaultExpires
	if req.HasExpires {
		exp = req.Expires
	}
	if exp > 0 && exp < m.cfg.MinExpires {
		return SubscribeAnswer{Status: 423, MinExpires: m.cfg.MinExpires, Reason: "expiry too brief"}, nil, false
	}
	exp = min(exp, m.cfg.MaxExpires)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return SubscribeAnswer{Status: 503, RetryAfter: m.cfg.RetryAfter, Reason: "shutting down"}, nil, false
	}
	if req.InDialog {
		s, ok := m.subs[req.DialogID]
		if !ok {
			return SubscribeAnswer{Status: 481, Reason: "no such subscription"}, nil, false
		}
		s.expires = m.clock.Now().Add(exp)
		if exp == 0 { // un-subscribed: gone at once; serve sends the final NOTIFY
			delete(m.subs, req.DialogID)
		}
		return SubscribeAnswer{Status: 200, Expires: exp}, s, exp == 0
	}
	if !m.allow(req) {
		return SubscribeAnswer{Status: 403, Reason: "watcher not allowed: " + req.From}, nil, false
	}
	if exp == 0 {
		m.wg.Add(1)
		return SubscribeAnswer{Status: 200}, nil, true
	}
	if len(m.subs) >= m.cfg.MaxSubscriptions {
		a := SubscribeAnswer{Status: m.cfg.RefuseStatus, Reason: fmt.Sprintf("%d subscriptions already", len(m.subs))}
		if a.Status == 503 {
			a.RetryAfter = m.cfg.RetryAfter
		}
		return a, nil, false
	}
	if _, dup := m.subs[req.DialogID]; dup || req.DialogID == "" {
		return SubscribeAnswer{Status: 400, Reason: "bad or duplicate dialog id"}, nil, false
	}
	s := m.newSub(req, dlg, exp)
	m.subs[req.DialogID] = s
	m.wg.Add(1)
	m.log.Info("watcher subscribed", "event", pkg, "from", req.From, "expires", exp, "count", len(m.subs))
	return SubscribeAnswer{Status: 200, Expires: exp}, s, false
}

func contentTypeOf(pkg string) string {
	if pkg == EventDialog {
		return ContentTypeDialogInfo
	}
	return ContentTypePIDF
}

// accepts reports whether the Accept list admits ct (an empty list means
// the package default, which is ct).
func accepts(list []string, ct string) bool {
	if len(list) == 0 {
		return true
	}
	for _, a := range list {
		for _, v := range strings.Split(a, ",") {
			v = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
			if v == ct || v == "*/*" || v == "application/*" {
				return true
			}
		}
	}
	return false
}

// Shutdown ends every subscription with a final NOTIFY (terminated;
// reason=noresource) and waits for them, at most until ctx is done.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stopAll)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		m.once.Do(func() { close(m.abort) })
		<-done // NOTIFYs in flight are cancelled: this is quick
		return fmt.Errorf("presence: shutdown: final NOTIFYs cut short: %w", ctx.Err())
	}
}
