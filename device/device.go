package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
)

// ErrStopped is returned by the Device's methods once Run has returned.
var ErrStopped = errors.New("device stopped")

// ErrInCall is returned by Call while a call is going on.
var ErrInCall = errors.New("a call is going on")

// ErrRunning is returned by Run when the device already runs.
var ErrRunning = errors.New("device already running")

// stopGrace bounds the hang-ups sent while the device stops.
const stopGrace = time.Second

// Deps are the parts a Device drives. Outputs and Phone are required.
type Deps struct {
	Outputs Outputs
	Phone   Phone
	Sounds  Sounds       // nil: the visitor hears no cues
	Handset Handset      // ata mode: the phone's earpiece and microphone; nil: none
	Clock   Clock        // nil: SystemClock
	Log     *slog.Logger // nil: discard
	// PeerToPeer says the user agent registers nowhere: the status LED is
	// on from the start instead of blinking "registering" for ever.
	PeerToPeer bool
	// Refusals writes the lines a stranger can trigger (a refused call, a
	// refused door code) at most once per source per interval; nil: Log,
	// once per call.
	Refusals RefusalLog
	// Access keeps door.access's guest codes and use counts across
	// restarts; nil: they are kept in memory only.
	Access AccessStore
}

// RefusalLog writes a log line about source unless one with the same
// message was written for it recently (ua.LogLimiter is one).
type RefusalLog interface {
	Log(level slog.Level, source, msg string, args ...any) bool
}

// Device runs one appliance behaviour (today: the door station). Its
// methods are safe for concurrent use; Run owns the state.
type Device struct {
	cfg      Config
	out      Outputs
	phone    Phone
	sounds   Sounds
	handset  Handset
	clock    Clock
	log      *slog.Logger
	p2p      bool
	refusals RefusalLog
	allowed  partyList // cfg.Door.Allowed, parsed
	inbox    chan any
	done     chan struct{}
	started  atomic.Bool
	hub      hub
	store    AccessStore // guest codes and uses (nil: in memory)
	// codeMatch checks a code against a hash (nil: argon2id); tests slow
	// it down.
	codeMatch func(codeHash, string) bool
}

// machineMsg is a message a machine defines for itself (a checked door
// code, say); Run hands it to its run method.
type machineMsg interface {
	run(ctx context.Context, m machine)
}

// openReq is an admin request to open the door.
type openReq struct {
	who   string
	reply chan error
}

// callReq is an admin request to call targets, as a button would.
type callReq struct {
	targets []string
	reply   chan error
}

// syncReq is answered once everything queued before it is handled.
type syncReq chan struct{}

// statusReq asks for a Status snapshot.
type statusReq chan Status

// Status is a snapshot of the device for status pages and presence.
type Status struct {
	Mode          string            `json:"mode"`
	Call          string            `json:"call"`           // "idle", "calling", "answering" or "connected"
	Peer          string            `json:"peer,omitempty"` // the other party of the call
	Incoming      bool              `json:"incoming,omitempty"`
	Since         time.Time         `json:"since"` // when Call last changed
	DoorOpen      bool              `json:"door_open"`
	Relay         bool              `json:"relay"` // the relay pulse is on
	Registrations map[string]string `json:"registrations"`
	// The analog phone (mode ata): the hook ("on" or "off"), the digits
	// dialled so far and the last number dialled.
	Hook       string `json:"hook,omitempty"`
	Dialed     string `json:"dialed,omitempty"`
	LastDialed string `json:"last_dialed,omitempty"`
	Voicemail  bool   `json:"voicemail,omitempty"` // a message waits (the dial tone stutters)
	DND        bool   `json:"dnd,omitempty"`       // the door station's do-not-disturb is on
}

// machine is one mode's state machine, driven by Run's goroutine only.
// The ATA mode will be a second implementation.
type machine interface {
	start(ctx context.Context)
	input(ctx context.Context, in Input)
	phone(ctx context.Context, ev PhoneEvent)
	openDoor(ctx context.Context, who string) error
	// call calls targets as a button would (the admin page's Call).
	call(ctx context.Context, targets []string) error
	// due handles every deadline at or before now.
	due(ctx context.Context, now time.Time)
	// next is the earliest pending deadline, zero when none.
	next() time.Time
	// stop ends calls and switches the call outputs off.
	stop(ctx context.Context)
	status() Status
}

// New checks cfg and deps and returns a device ready to Run.
func New(cfg Config, deps Deps) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("device: invalid config: %w", err)
	}
	if cfg.Door.Access.TimeZone == "" { // the windows read in the device's zone
		cfg.Door.Access.TimeZone = cfg.TimeZone
	}
	if deps.Outputs == nil || deps.Phone == nil {
		return nil, errors.New("device: new: Outputs and Phone are required")
	}
	d := &Device{cfg: cfg, out: deps.Outputs, phone: deps.Phone, sounds: deps.Sounds, handset: deps.Handset,
		clock: deps.Clock, log: deps.Log, p2p: deps.PeerToPeer, refusals: deps.Refusals, store: deps.Access,
		allowed: parseParties(cfg.Door.Allowed), inbox: make(chan any, 64), done: make(chan struct{})}
	if d.sounds == nil {
		d.sounds = silence{}
	}
	if d.handset == nil {
		d.handset = noHandset{}
	}
	if d.clock == nil {
		d.clock = SystemClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.hub.log = d.log
	for i, b := range cfg.Buttons {
		if len(b.Targets) == 0 && cfg.Mode != ModeATA {
			d.log.Warn("call button has no targets: pressing it does nothing", "button", i)
		}
	}
	return d, nil
}

func (d *Device) newMachine() (machine, error) {
	if d.cfg.Mode == ModeATA {
		return newPhone(d)
	}
	return newDoor(d), nil
}

// Run drives the state machine until ctx ends, then hangs up any call
// (bounded to about a second), closes every subscription and returns nil.
// It may be called once.
func (d *Device) Run(ctx context.Context) error {
	if !d.started.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer close(d.done)
	defer d.hub.close()
	m, err := d.newMachine()
	if err != nil {
		return err
	}
	m.start(ctx)
	var t Timer
	var armed time.Time
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		now := d.clock.Now()
		m.due(ctx, now)
		if next := m.next(); !next.Equal(armed) {
			if t != nil {
				t.Stop()
				t = nil
			}
			armed = next
			if !next.IsZero() {
				t = d.clock.NewTimer(max(next.Sub(now), 0))
			}
		}
		var tc <-chan time.Time
		if t != nil {
			tc = t.C()
		}
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
			m.stop(sctx)
			cancel()
			return nil
		case <-tc:
			t, armed = nil, time.Time{}
		case msg := <-d.inbox:
			d.handle(ctx, m, msg)
		}
	}
}

func (d *Device) handle(ctx context.Context, m machine, msg any) {
	m.due(ctx, d.clock.Now())
	switch v := msg.(type) {
	case Input:
		m.input(ctx, v)
	case PhoneEvent:
		m.phone(ctx, v)
	case openReq:
		v.reply <- m.openDoor(ctx, v.who)
	case callReq:
		v.reply <- m.call(ctx, v.targets)
	case syncReq:
		if p, ok := m.(interface{ park(syncReq) bool }); !ok || !p.park(v) {
			close(v)
		}
	case machineMsg:
		v.run(ctx, m)
	case statusReq:
		v <- m.status()
	case dndReq:
		v.reply <- setDND(m, v)
	case mwiReq:
		if p, ok := m.(*phone); ok {
			p.messageWaiting(bool(v))
		}
	}
}

// send queues msg for Run, waiting while the inbox is full.
func (d *Device) send(ctx context.Context, msg any) error {
	select {
	case <-d.done:
		return ErrStopped
	default:
	}
	select {
	case d.inbox <- msg:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return ErrStopped
	}
}

// Input hands a board input to the device. Inputs, phone events and
// requests are handled in the order they were given.
func (d *Device) Input(ctx context.Context, in Input) error {
	if err := d.send(ctx, in); err != nil {
		return fmt.Errorf("device: input %s: %w", in.Kind, err)
	}
	return nil
}

// PhoneEvent hands a user-agent event to the device.
func (d *Device) PhoneEvent(ctx context.Context, ev PhoneEvent) error {
	if err := d.send(ctx, ev); err != nil {
		return fmt.Errorf("device: phone event %d: %w", ev.Kind, err)
	}
	return nil
}

// OpenDoor pulses the door relay as if the code had been entered, and logs
// and reports who as the opener (the admin API passes "api:<user>"). It
// returns once the relay was set, or the error setting it.
func (d *Device) OpenDoor(ctx context.Context, who string) error {
	req := openReq{who: who, reply: make(chan error, 1)}
	if err := d.send(ctx, req); err != nil {
		return fmt.Errorf("device: open door for %s: %w", who, err)
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("device: open door for %s: %w", who, ctx.Err())
	case <-d.done:
		return fmt.Errorf("device: open door for %s: %w", who, ErrStopped)
	}
}

// Call calls targets the way a call button would (ringback, call LED,
// hunting through the targets, presence and events), so the device's
// state tells the truth about a call placed from the admin page. It
// returns ErrInCall while a call is going on.
func (d *Device) Call(ctx context.Context, targets []string) error {
	req := callReq{targets: targets, reply: make(chan error, 1)}
	if err := d.send(ctx, req); err != nil {
		return fmt.Errorf("device: call %v: %w", targets, err)
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("device: call %v: %w", targets, ctx.Err())
	case <-d.done:
		return fmt.Errorf("device: call %v: %w", targets, ErrStopped)
	}
}

// MayOpen reports whether a caller with this verified identity may open
// the door (a MESSAGE "open" command, say): it must be verified and
// listed in door.allowed. It is safe for concurrent use.
func (d *Device) MayOpen(c Caller) bool { return d.allowed.allowsCaller(c) }

// Status returns a snapshot of the device's state.
func (d *Device) Status(ctx context.Context) (Status, error) {
	req := make(statusReq, 1)
	if err := d.send(ctx, req); err != nil {
		return Status{}, fmt.Errorf("device: status: %w", err)
	}
	select {
	case s := <-req:
		return s, nil
	case <-ctx.Done():
		return Status{}, fmt.Errorf("device: status: %w", ctx.Err())
	case <-d.done:
		return Status{}, fmt.Errorf("device: status: %w", ErrStopped)
	}
}

// Subscribe returns a channel of every Event from now on, buffered to buf
// (at least 1), and a function that ends the subscription. The device
// never waits for a subscriber: when the buffer is full the event is
// dropped (and logged). The channel closes when Run returns or on cancel.
func (d *Device) Subscribe(buf int) (<-chan Event, func()) { return d.hub.subscribe(buf) }

// Forward feeds values from src to push (such as Device.Input or
// Device.PhoneEvent) after converting them with conv, which may drop a
// value by returning false. It returns when src closes, ctx ends or push
// fails, so cmd can adapt the board's and the user agent's event channels
// in one line each.
func Forward[T, U any](ctx context.Context, src <-chan T, conv func(T) (U, bool), push func(context.Context, U) error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-src:
			if !ok {
				return nil
			}
			u, keep := conv(v)
			if !keep {
				continue
			}
			if err := push(ctx, u); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// emit stamps, logs nothing (callers log) and publishes e.
func (d *Device) emit(e Event) {
	e.Time = d.clock.Now()
	d.hub.publish(e)
}

// silence is the Sounds of a device without a speaker.
type silence struct{}

func (silence) Play(Cue) error { return nil }
func (silence) Stop() error    { return nil }

// noHandset is the Handset of a phone without one.
type noHandset struct{}

func (noHandset) Tone(tone.Kind) error { return nil }
func (noHandset) Play([]int16) error   { return nil }
func (noHandset) Quiet() error         { return nil }
func (noHandset) Listen(bool) error    { return nil }
