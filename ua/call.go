package ua

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/sipbell/sipbell/ua/media"
)

// Phone is what the device package uses: events, calls out, and the
// calls in progress. *UA implements it; uatest.Fake is its stand-in.
type Phone interface {
	Events() <-chan Event
	Call(ctx context.Context, targets []string, mode DialMode) (Call, error)
	Calls() []Call
}

// Call is one call as the device sees it. No SIP types leak through.
type Call interface {
	ID() string
	Peer() string
	Incoming() bool
	State() CallState
	// Media returns the negotiated media description once answered.
	Media() (media.Negotiated, bool)
	// Answer accepts an incoming call that is ringing. It returns once
	// the 200 OK is sent (or the call ended, or ctx is done, or after a
	// second: the answer stands); with 100rel, once the answer waits for
	// the PRACK.
	Answer(ctx context.Context) error
	// Reject refuses an incoming call that is ringing with a status code
	// (486 Busy Here when code is 0).
	Reject(ctx context.Context, code int) error
	// Hangup ends the call in any state: CANCEL before an answer, BYE after,
	// 480 for an incoming call not yet answered.
	Hangup(ctx context.Context) error
	// SendDTMF sends one digit (0-9, *, #, A-D) as RFC 4733 events.
	SendDTMF(digit byte) error
	// Hold puts an answered call on hold from our side (re-INVITE
	// a=sendonly, or a=inactive when the peer holds us already).
	Hold(ctx context.Context) error
	// Resume takes the call off our hold (re-INVITE a=sendrecv).
	Resume(ctx context.Context) error
	// Transfer hands an answered call to target (REFER: the peer calls
	// target) and waits for the outcome; on success the call ends.
	Transfer(ctx context.Context, target string) error
}

// DialMode says how several call targets are tried.
type DialMode int

const (
	// Hunt tries the targets one after another until one answers.
	Hunt DialMode = iota
	// Parallel rings all targets at once; the first to answer wins and
	// the others are cancelled.
	Parallel
)

// ErrBusy is returned by UA.Call when sip.max_calls calls are already in
// progress.
var ErrBusy = errors.New("ua: as many calls as sip.max_calls allows are in progress")

// DefaultMaxCalls is sip.max_calls when it is 0: a door station's one
// visitor call.
const DefaultMaxCalls = 1

// maxCalls is the configured bound on calls held at once.
func (c Config) maxCalls() int {
	if c.MaxCalls > 0 {
		return c.MaxCalls
	}
	return DefaultMaxCalls
}

// ErrNotRinging is returned by Answer/Reject on a call that is not an
// incoming call waiting for a decision.
var ErrNotRinging = errors.New("ua: call is not ringing")

// call is the UA's Call. Its state is guarded by mu; a call's life runs
// in one goroutine, which owns the SIP dialog.
type call struct {
	u        *UA
	id       string
	incoming bool
	caller   Caller // incoming: who called, as verified (set before the call is shared)

	mu     sync.Mutex
	peer   string   // remote party URI: changes when the call is transferred
	dialog DialogID // as on the wire, once known
	state  CallState
	held   bool // the peer holds us (its offer does not receive)
	// localHold: we hold the peer (hold.go).
	localHold bool
	inviteMu  sync.Mutex    // our re-INVITEs, one at a time (hold.go)
	answered  chan struct{} // closed on CallAnswered
	neg       media.Negotiated
	hasNeg    bool
	sdp       *media.SDP
	ds        *sipgo.DialogServerSession
	dc        *sipgo.DialogClientSession
	dlgID     string
	// answeredIDs: dialogs a callee answered that are not c's dialog yet
	// (the ACK is out, dlgID not set): an in-dialog request right behind
	// the ACK finds the call and waits for it to be answered.
	answeredIDs []string
	st          sessionTimer // negotiated session timer (sessiontimer.go)

	refreshed chan struct{} // a session refresh arrived from the peer

	refer        chan referral // a REFER to follow (refer.go)
	referOut     chan int      // our REFER's progress, while Transfer waits (refer_out.go)
	transferring bool          // a transfer is under way
	transferred  bool          // the call's dialog is one a transfer made
	// tookOver is closed when the transfer under way made its answered
	// dialog the call's, or failed (refer.go).
	tookOver chan struct{}

	early    []DialogID    // outgoing: early dialogs of the ringing legs (pickup.go)
	pickup   chan struct{} // closed when a pickup claims the ringing call
	pickedUp bool
	hasEarly bool // a 183's SDP started early media (earlymedia.go)

	pracked   chan struct{} // closed by the PRACK of our reliable 180 (prack.go)
	prackOnce sync.Once
	legsDone  chan bool // the ringing legs are over: true when none answered

	reinviteCSeq uint32        // CSeq of the re-INVITE whose 2xx awaits its ACK
	reinviteAck  chan struct{} // that ACK arrived (reinvite.go)

	decide  chan int      // incoming: 200 answers, other codes reject
	ackBody chan []byte   // incoming late offer: the SDP answer in the ACK
	hangup  chan struct{} // closed by Hangup
	once    sync.Once
	done    chan struct{} // closed when ended
	gone    chan struct{} // closed once the CallEnded event is out (before media is released)

	// taken is closed once the call's goroutine acted on the decision:
	// the 200 handed to the transport, or the decision was anything else
	// (incoming.go). Answer and Reject return then, so that whoever
	// answers goes on (logs, LEDs, history) after the 200 is out.
	taken     chan struct{}
	takenOnce sync.Once

	// after: calls that were ending, their CallEnded not yet out, when
	// this incoming call took their place (claimCall); its IncomingCall
	// event waits for theirs (awaitPredecessors).
	after   []*call
	start   time.Time
	reason  string // why the call is being ended locally (ring timeout, cancelled)
	byes    int    // BYEs for this call being handled right now (server.go onBye)
	byeSeen bool   // a BYE for this call has been handled (or is being)
}

// ending reports whether the call is on its way out: ended, a BYE for it
// is being handled, its dialog is over (BYE or CANCEL done), or a local
// hang-up is under way. Such a call no longer makes the UA busy.
func (c *call) ending() bool {
	select {
	case <-c.hangup:
		return true
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == CallEnded || c.byes > 0 {
		return true
	}
	if c.ds != nil && c.ds.Context().Err() != nil {
		return true
	}
	return c.dc != nil && c.dc.Context().Err() != nil
}

// byeArrived counts a BYE for c being handled (+1) or done with (-1): a
// BYE that was refused leaves the call as it was.
func (c *call) byeArrived(delta int) {
	c.mu.Lock()
	c.byes += delta
	c.byeSeen = c.byeSeen || delta > 0
	c.mu.Unlock()
}

// sawBye reports whether a BYE for c has reached its dialog.
func (c *call) sawBye() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byeSeen
}

func (c *call) setReason(r string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		c.reason = r
	}
}

func (c *call) takeReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

func (u *UA) newCall(incoming bool, peer string) *call {
	c := &call{u: u, id: "c" + randHex(8), peer: peer, incoming: incoming,
		decide: make(chan int, 1), taken: make(chan struct{}), ackBody: make(chan []byte, 1), hangup: make(chan struct{}), done: make(chan struct{}), gone: make(chan struct{}),
		refreshed: make(chan struct{}, 1), refer: make(chan referral, 1), pickup: make(chan struct{}), pracked: make(chan struct{}), legsDone: make(chan bool, 1), reinviteAck: make(chan struct{}, 1), answered: make(chan struct{}),
		start: u.clock.Now()}
	if incoming {
		c.state = CallIncoming
	}
	return c
}

func (c *call) ID() string { return c.id }
func (c *call) Peer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

// event is a call event of kind with the call's current peer and dialog.
func (c *call) event(kind EventKind) Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Event{Kind: kind, CallID: c.id, Peer: c.peer, Incoming: c.incoming, Dialog: c.dialog, SRTP: c.neg.SRTP.Suite()}
}
func (c *call) Incoming() bool { return c.incoming }

func (c *call) State() CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *call) Media() (media.Negotiated, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.neg, c.hasNeg
}

func (c *call) Answer(ctx context.Context) error { return c.decideWith(ctx, 200) }

func (c *call) Reject(ctx context.Context, code int) error {
	if code == 0 {
		code = 486
	}
	if code < 300 || code > 699 {
		return fmt.Errorf("ua: reject %s with %d: not a failure code", c.id, code)
	}
	return c.decideWith(ctx, code)
}

func (c *call) decideWith(ctx context.Context, code int) error {
	if !c.incoming {
		return ErrNotRinging
	}
	if s := c.State(); s != CallIncoming && s != CallRinging {
		return fmt.Errorf("answer/reject %s in state %s: %w", c.id, s, ErrNotRinging)
	}
	select {
	case c.decide <- code:
	case <-ctx.Done():
		return ctx.Err()
	default:
		return fmt.Errorf("answer/reject %s: already decided: %w", c.id, ErrNotRinging)
	}
	// The decision is handed over; wait until it was acted on (taken) or
	// the call is over, answerWait at most. Past ctx the decision stands.
	t := c.u.clock.NewTimer(answerWait)
	defer t.Stop()
	select {
	case <-c.taken:
	case <-c.done:
	case <-c.answered:
	case <-ctx.Done():
	case <-t.C():
	}
	return nil
}

// answerWait bounds how long Answer and Reject wait for the call's
// goroutine to act on the decision: a 200 held up by a stalled TCP
// connection must not hold up whoever answered (the device's loop).
const answerWait = time.Second

// markTaken tells Answer and Reject that the decision was acted on.
func (c *call) markTaken() { c.takenOnce.Do(func() { close(c.taken) }) }

func (c *call) Hangup(ctx context.Context) error {
	c.once.Do(func() { close(c.hangup) })
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hangup %s: %w", c.id, ctx.Err())
	}
}

func (c *call) SendDTMF(digit byte) error {
	if !validDigit(digit) {
		return fmt.Errorf("ua: send dtmf %q: not a DTMF digit", digit)
	}
	if c.State() != CallAnswered {
		return fmt.Errorf("ua: send dtmf on %s: call not answered", c.id)
	}
	return c.u.mediaHandler().SendDTMF(c.id, digit)
}

func validDigit(d byte) bool {
	return d >= '0' && d <= '9' || d == '*' || d == '#' || d >= 'A' && d <= 'D'
}

// setState moves the call forward and publishes the change.
func (c *call) setState(s CallState, code int, reason string) {
	c.mu.Lock()
	if c.state == CallEnded || (s <= c.state && s != CallEnded) {
		c.mu.Unlock()
		return
	}
	c.state = s
	if s == CallAnswered {
		close(c.answered)
	}
	c.mu.Unlock()
	ev := c.event(EventCallState)
	ev.State, ev.Code, ev.Reason = s, code, reason
	// Debug: the device logs each change that matters to an installer
	// (device "call answered", "call ended", ...), once.
	c.u.log.Debug("call", "id", c.id, "peer", ev.Peer, "incoming", c.incoming, "state", s.String(),
		"code", code, "reason", reason)
	c.u.emit(ev)
}

// end marks the call ended (once), releases media and forgets it.
func (c *call) end(code int, reason string) {
	c.setState(CallEnded, code, reason)
	select {
	case <-c.gone:
	default:
		close(c.gone)
	}
	c.mu.Lock()
	hadMedia := c.sdp != nil
	c.mu.Unlock()
	if hadMedia {
		c.u.mediaHandler().Close(c.id)
	}
	c.u.mu.Lock()
	delete(c.u.calls, c.id)
	c.u.mu.Unlock()
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

// Calls returns the calls in progress.
func (u *UA) Calls() []Call {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]Call, 0, len(u.calls))
	for _, c := range u.calls {
		out = append(out, c)
	}
	return out
}

func (u *UA) hangupAll() {
	for _, c := range u.Calls() {
		cc := c.(*call)
		cc.once.Do(func() { close(cc.hangup) })
	}
}

func (u *UA) mediaHandler() MediaHandler {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.media == nil {
		u.media = newPortMedia(u.mediaCfg)
	}
	return u.media
}

func (u *UA) findDialog(id string) *call {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.calls {
		c.mu.Lock()
		match := c.dlgID == id || (c.dlgID == "" && slices.Contains(c.answeredIDs, id))
		c.mu.Unlock()
		if match {
			return c
		}
	}
	return nil
}

var _ Phone = (*UA)(nil)
