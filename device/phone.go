package device

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device/dialplan"
	"github.com/sipbell/sipbell/device/pulse"
)

// mwiReq tells the phone whether a voicemail message waits.
type mwiReq bool

// MessageWaiting tells the analog phone whether a voicemail message waits
// (the PBX's message-summary): its dial tone stutters while one does. A
// door station ignores it.
func (d *Device) MessageWaiting(ctx context.Context, waiting bool) error {
	if err := d.send(ctx, mwiReq(waiting)); err != nil {
		return fmt.Errorf("device: message waiting %v: %w", waiting, err)
	}
	return nil
}

// messageWaiting notes the voicemail state for the next dial tone.
func (m *phone) messageWaiting(waiting bool) {
	if waiting != m.mwi {
		m.d.log.Info("voicemail", "waiting", waiting)
	}
	m.mwi = waiting
}

// ErrNotDoor is returned by OpenDoor and Call in ata mode.
var ErrNotDoor = errors.New("not a door station (device.mode is ata)")

// Handset is the analog phone's earpiece and microphone outside the
// call's own audio. Its methods must return at once.
type Handset interface {
	// Tone plays a tone of the phone's country in the earpiece until
	// replaced (a tone that ends by itself goes quiet).
	Tone(k tone.Kind) error
	// Play plays pcm (8 kHz, caller ID) once, replacing any tone.
	Play(pcm []int16) error
	// Quiet silences the earpiece's tone or caller ID.
	Quiet() error
	// Listen starts (true) or stops listening to the handset's microphone
	// for DTMF keys, which arrive as HandsetDigit inputs.
	Listen(on bool) error
}

// phoneState is where the analog phone is.
type phoneState int

const (
	phIdle      phoneState = iota // on hook, nothing going on
	phRinging                     // on hook, an incoming call rings the bell
	phDialing                     // off hook, collecting digits
	phCalling                     // off hook, an outgoing call is on its way
	phAnswering                   // off hook, answering the incoming call
	phConnected                   // off hook, in a call
	phDead                        // off hook after a failure: busy/reorder, howler, silence
)

func (s phoneState) String() string {
	return [...]string{"idle", "ringing", "dialing", "calling", "answering", "connected", "off-hook"}[s]
}

// phone is the analog phone (ATA) state machine. Only Run's goroutine
// touches it.
type phone struct {
	d     *Device
	cfg   PhoneConfig // with defaults
	plan  *dialplan.Plan
	hook  *pulse.Decoder // the hook switch: off/on hook, flashes, hook-switch pulses
	dial  *pulse.Decoder // the rotary dial's pulse contact
	evs   []pulse.Event  // scratch
	st    phoneState
	since time.Time
	off   bool // off hook, as decoded
	mwi   bool // a voicemail message waits: stutter dial tone

	// The call.
	callID, peer string
	incoming     bool
	caller       Caller
	early        bool // the far end sends early media: no local ringback

	// Call waiting and transfer (phone_wait.go).
	second   other  // a call waiting or on hold beside the active one
	xfer     string // the call on hold while a transfer target is dialled
	xferTo   string // the target dialled, transferred on hook
	xferCall other  // the call xfer names
	recalled bool   // ringing for a call on hold: off hook resumes it
	handed   other  // a call handed on (REFER) whose outcome is not known yet
	cw2      cwCID  // caller ID on call waiting under way (phone_cid2.go)
	handedTo string // where to

	// Dialling.
	digits  string
	digitAt time.Time // the inter-digit timer runs out
	warmAt  time.Time // the warmline dials

	// Tones while off hook without a call: toneAt moves to the next one.
	tone   tone.Kind
	toneOn bool
	toneAt time.Time

	// Ringing.
	ring     ringer
	lastCall string // the last dialled number, for the status page

	regs   map[string]RegState
	leds   map[Output]Pattern
	failed map[Output]bool // outputs whose Set failed (logged once)
}

func newPhone(d *Device) (*phone, error) {
	cfg := d.cfg.Phone.WithDefaults()
	plan, err := cfg.DialPlan.Plan()
	if err != nil {
		return nil, fmt.Errorf("device: phone: dial plan: %w", err)
	}
	now := d.clock.Now()
	hook, err := pulse.New(cfg.Pulse, now, false)
	if err != nil {
		return nil, fmt.Errorf("device: phone: pulse: %w", err)
	}
	dial, err := pulse.New(cfg.Pulse, now, true)
	if err != nil {
		return nil, fmt.Errorf("device: phone: pulse: %w", err)
	}
	return &phone{d: d, cfg: cfg, plan: plan, hook: hook, dial: dial, regs: map[string]RegState{}, failed: map[Output]bool{},
		ring: ringer{hz: cfg.RingHz},
		leds: map[Output]Pattern{StatusLED: {Kind: Off}, Ringer: {Kind: Off}, LineReversal: {Kind: Off}}}, nil
}

func (m *phone) now() time.Time { return m.d.clock.Now() }

func (m *phone) enter(st phoneState) {
	if st != m.st {
		m.d.log.Debug("phone "+st.String(), "was", m.st.String())
		m.st, m.since = st, m.now()
	}
}

func (m *phone) start(context.Context) {
	m.since = m.now()
	m.set(StatusLED, m.statusPattern())
	m.d.log.Info("analog phone ready", "country", m.cfg.Country, "caller_id", m.cfg.CallerID,
		"dial_plan", m.plan.String())
}

// set sets an output's pattern unless it already plays it.
func (m *phone) set(o Output, p Pattern) {
	if cur, ok := m.leds[o]; ok && cur == p {
		return
	}
	if err := m.d.out.Set(o, 0, p); err != nil {
		if !m.failed[o] { // once until it works again: callers ring it
			m.d.log.Warn("cannot set output", "output", o.String(), "pattern", p.String(), "err", err)
		}
		m.failed[o] = true
		return
	}
	m.failed[o] = false
	m.leds[o] = p
}

// play puts tone k in the earpiece until replaced, and moves to next
// after d (0: never).
func (m *phone) play(k tone.Kind, d time.Duration) {
	m.tone, m.toneOn, m.toneAt = k, true, time.Time{}
	if d > 0 {
		m.toneAt = m.now().Add(d)
	}
	if err := m.d.handset.Tone(k); err != nil {
		m.d.log.Warn("cannot play tone", "tone", k.String(), "err", err)
	}
}

// quiet silences the earpiece.
func (m *phone) quiet() {
	m.toneOn, m.toneAt = false, time.Time{}
	if err := m.d.handset.Quiet(); err != nil {
		m.d.log.Warn("cannot silence the earpiece", "err", err)
	}
}

func (m *phone) listen(on bool) {
	if err := m.d.handset.Listen(on); err != nil {
		m.d.log.Warn("cannot listen to the handset", "on", on, "err", err)
	}
}

func (m *phone) hangup(ctx context.Context, id string) {
	if err := m.d.phone.Hangup(ctx, id); err != nil {
		m.d.log.Warn("hang up failed", "call", id, "err", err)
	}
}

func (m *phone) input(ctx context.Context, in Input) {
	at := in.Time
	if at.IsZero() {
		at = m.now()
	}
	switch in.Kind {
	case HookOff, HookOn:
		m.evs = m.hook.Edge(m.evs[:0], at, in.Kind == HookOff)
		m.hookEvents(ctx)
	case DialBreak, DialMake:
		m.evs = m.dial.Edge(m.evs[:0], at, in.Kind == DialMake)
		m.dialEvents(ctx)
	case HandsetDigit:
		if m.cwAck(in.Digit) {
			return
		}
		if m.off {
			m.digit(ctx, in.Digit, "dtmf")
		}
	}
}

// hookEvents acts on what the hook decoder decided.
func (m *phone) hookEvents(ctx context.Context) {
	for _, e := range m.evs {
		switch e.Kind {
		case pulse.OffHook:
			m.offHook(ctx)
		case pulse.OnHook:
			m.onHook(ctx)
		case pulse.Digit:
			m.digit(ctx, e.Digit, "hook pulses")
		case pulse.Flash:
			m.flash(ctx, e.Break)
		case pulse.Invalid:
			m.d.log.Debug("hook: neither pulses nor a flash", "pulses", e.Pulses, "break", e.Break)
		}
	}
}

// dialEvents acts on what the dial contact's decoder decided: digits only.
func (m *phone) dialEvents(ctx context.Context) {
	for _, e := range m.evs {
		switch e.Kind {
		case pulse.Digit:
			if m.off {
				m.digit(ctx, e.Digit, "rotary dial")
			}
		case pulse.Invalid:
			m.d.log.Debug("rotary dial: pulses dial no digit", "pulses", e.Pulses, "break", e.Break)
		}
	}
}

// offHook: answer a ringing call, or give dial tone (or dial the hotline).
func (m *phone) offHook(ctx context.Context) {
	m.off = true
	m.d.log.Info("off hook", "state", m.st.String())
	m.listen(true)
	if m.st == phRinging && m.recalled {
		m.resumeRecalled(ctx)
		return
	}
	if m.st == phRinging {
		m.answer(ctx)
		return
	}
	m.dialTone(ctx)
}

// dialTone starts collecting digits: dial tone, or the hotline.
func (m *phone) dialTone(ctx context.Context) {
	m.enter(phDialing)
	m.digits, m.digitAt, m.warmAt = "", time.Time{}, time.Time{}
	number, delay, hot := m.plan.OffHook()
	if hot && delay == 0 {
		m.d.log.Info("hotline: dialling", "number", number)
		m.place(ctx, number)
		return
	}
	if hot {
		m.warmAt = m.now().Add(delay)
	}
	dial := tone.Dial
	if m.mwi {
		dial = tone.Stutter
	}
	m.play(dial, m.cfg.DialToneTimeout)
}

// flash: while dialling or after a failure, a hook flash starts over
// with dial tone (what a flash does on a line without call waiting);
// during a call it is logged (call waiting will swap calls with it).
func (m *phone) flash(ctx context.Context, brk time.Duration) {
	m.d.log.Info("hook flash", "state", m.st.String(), "break", brk)
	switch {
	case m.st == phConnected && m.cfg.CallWaiting:
		m.flashInCall(ctx)
	case (m.st == phDialing || m.st == phDead) && m.xfer != "":
		m.flashInTransfer(ctx)
	case m.st == phDead && m.flashDead(ctx):
	case m.st == phDialing || m.st == phDead:
		m.dialTone(ctx)
	}
}

// onHook ends whatever the phone was doing.
func (m *phone) onHook(ctx context.Context) {
	m.off = false
	m.d.log.Info("on hook", "state", m.st.String())
	m.listen(false)
	if m.toneOn {
		m.quiet()
	}
	if m.onHookSecond(ctx) {
		return
	}
	switch m.st {
	case phCalling, phAnswering, phConnected:
		m.hangup(ctx, m.callID)
		m.d.log.Info("hanging up: the handset was put down", "peer", m.peer, "call", m.callID)
		m.d.emit(Event{Kind: EventCallEnded, Peer: m.peer, Reason: "hung up"})
	}
	if m.toneOn {
		m.quiet()
	}
	m.toIdle()
}

// toIdle forgets the call and the digits.
func (m *phone) toIdle() {
	m.enter(phIdle)
	m.callID, m.peer, m.incoming, m.caller, m.recalled = "", "", false, Caller{}, false
	m.digits, m.digitAt, m.warmAt, m.toneAt = "", time.Time{}, time.Time{}, time.Time{}
}

// dead is the off-hook line after a failure: tone k (busy or reorder),
// then the howler, then silence until on hook.
func (m *phone) dead(k tone.Kind, why string) {
	m.d.log.Info("off hook without a call: "+why, "tone", k.String())
	m.enter(phDead)
	m.callID, m.peer, m.incoming = "", "", false
	m.digitAt, m.warmAt = time.Time{}, time.Time{}
	m.play(k, m.cfg.ReorderTimeout)
}

// toneDue moves dial tone → reorder → howler → silence.
func (m *phone) toneDue() {
	switch {
	case !m.toneOn:
		m.toneAt = time.Time{}
	case m.tone == tone.Dial || m.tone == tone.Stutter:
		m.dead(tone.Congestion, "no digit dialled")
	case m.tone == tone.Howler:
		m.d.log.Info("off hook too long: the line goes quiet until the handset is put down")
		m.quiet()
	default:
		m.play(tone.Howler, m.cfg.HowlerTimeout)
	}
}

func (m *phone) due(ctx context.Context, now time.Time) {
	for _, dec := range []*pulse.Decoder{m.hook, m.dial} {
		if at, ok := dec.Deadline(); ok && !at.After(now) {
			m.evs = dec.Poll(m.evs[:0], now)
			if dec == m.hook {
				m.hookEvents(ctx)
			} else {
				m.dialEvents(ctx)
			}
		}
	}
	if !m.toneAt.IsZero() && !m.toneAt.After(now) {
		m.toneDue()
	}
	if !m.warmAt.IsZero() && !m.warmAt.After(now) {
		m.warmAt = time.Time{}
		number, _, _ := m.plan.OffHook()
		m.d.log.Info("warmline: no digit dialled, dialling", "number", number)
		m.place(ctx, number)
	}
	if !m.digitAt.IsZero() && !m.digitAt.After(now) {
		m.digitAt = time.Time{}
		m.timerRanOut(ctx)
	}
	m.ringDue(ctx, now)
	m.cwDue(now)
}

func (m *phone) next() time.Time {
	var t time.Time
	for _, c := range []time.Time{m.toneAt, m.warmAt, m.digitAt, m.ring.next(), m.cw2.next()} {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	for _, dec := range []*pulse.Decoder{m.hook, m.dial} {
		if c, ok := dec.Deadline(); ok && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	return t
}

func (m *phone) openDoor(context.Context, string) error { return ErrNotDoor }

func (m *phone) call(_ context.Context, targets []string) error {
	return fmt.Errorf("device: call %v: %w", targets, ErrNotDoor)
}

func (m *phone) stop(ctx context.Context) {
	if m.callID != "" {
		m.hangup(ctx, m.callID)
	}
	m.cwStop()
	m.stopSecond(ctx)
	m.ring.stop(m)
	if m.toneOn {
		m.quiet()
	}
	if m.off {
		m.listen(false)
	}
	m.toIdle()
	m.d.log.Info("analog phone stopped")
}

func (m *phone) status() Status {
	s := Status{Mode: ModeATA, Call: m.st.String(), Peer: m.peer, Incoming: m.incoming, Since: m.since,
		Hook: "on", Dialed: m.digits, LastDialed: m.lastCall, Voicemail: m.mwi, Registrations: map[string]string{}}
	if m.off {
		s.Hook = "off"
	}
	for a, r := range m.regs {
		s.Registrations[a] = r.String()
	}
	return s
}
