package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// ErrUnknownCall is wrapped when a Manager method names a call that is
// not open.
var ErrUnknownCall = errors.New("unknown media call")

// AudioFunc returns the capture source and playback sink for a call. The
// Manager does not close them: they belong to the device (one sound card
// serves call after call).
type AudioFunc func(callID string) (audio.Source, audio.Sink, error)

// CallHooks are how a call's media reports back to the user agent.
type CallHooks struct {
	OnDTMF    func(digit byte) // a received digit (RFC 4733, INFO or in-band; merged)
	OnTimeout func()           // RTP stopped arriving: hang up
}

// Manager runs the media of several calls by call ID: it binds a Session
// per call, starts its media loop on the first Start, pumps its events to
// the hooks, and tears everything down on Close. Its methods match the
// user agent's MediaHandler seam (ua.MediaHandler) up to the hook struct,
// so the adapter is a few lines. It is safe for concurrent use.
type Manager struct {
	// AudioRate is the sample rate of the devices AudioFunc returns (8000
	// or 16000; 0 means 8000): see Options.AudioRate. Set it before the
	// first call.
	AudioRate int

	cfg   Config
	log   *slog.Logger
	audio AudioFunc
	mu    sync.Mutex
	calls map[string]*managedCall
	spare spareState // the pair bound ahead of the next call (spare.go)
}

type managedCall struct {
	s       *Session
	hooks   CallHooks
	cancel  context.CancelFunc
	done    chan struct{} // closed when the media loop and event pump end
	running bool
	closed  bool
}

// NewManager returns a Manager. audio may be nil: calls then send
// silence and discard what they receive (paced by the system clock).
func NewManager(cfg Config, log *slog.Logger, audio AudioFunc) *Manager {
	if log == nil {
		log = discardLogger()
	}
	return &Manager{cfg: cfg, log: log, audio: audio, calls: map[string]*managedCall{}}
}

// Open binds the RTP/RTCP ports for a new call on ip, or takes the spare
// bound there (PrepareSpare), and returns the RTP address to put in the
// SDP.
func (m *Manager) Open(_ context.Context, ip netip.Addr, callID string, hooks CallHooks) (netip.AddrPort, error) {
	log := m.log.With("call", callID)
	s := m.takeSpare(ip, log)
	if s == nil {
		var err error
		if s, err = Listen(m.cfg, ip, m.options(log)); err != nil {
			return netip.AddrPort{}, fmt.Errorf("open media for call %s: %w", callID, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.calls[callID]; dup {
		s.Close()
		return netip.AddrPort{}, fmt.Errorf("open media for call %s: already open", callID)
	}
	m.calls[callID] = &managedCall{s: s, hooks: hooks, done: make(chan struct{})}
	return s.LocalAddr(), nil
}

func (m *Manager) call(callID string) (*managedCall, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[callID]
	if !ok {
		return nil, fmt.Errorf("call %s: %w", callID, ErrUnknownCall)
	}
	return c, nil
}

// Start applies the negotiated description; the first time it also
// starts the call's audio and event handling. Call it again after every
// accepted re-INVITE.
func (m *Manager) Start(callID string, n Negotiated) error {
	c, err := m.call(callID)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.closed {
		return fmt.Errorf("start call %s: %w", callID, ErrClosed)
	}
	if c.running {
		return c.s.Start(context.Background(), n)
	}
	src, sink, err := m.callAudio(callID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.s.Start(ctx, n); err != nil {
		cancel()
		return err
	}
	c.cancel, c.running = cancel, true
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := c.s.Run(ctx, src, sink); err != nil && !errors.Is(err, ErrClosed) {
			m.log.Warn("call audio stopped", "call", callID, "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		m.pump(c)
	}()
	go func() { wg.Wait(); close(c.done) }()
	return nil
}

// callAudio returns the call's devices, or a silent paced pair.
func (m *Manager) callAudio(callID string) (audio.Source, audio.Sink, error) {
	if m.audio == nil {
		clk := audio.SystemClock()
		return audio.NewPacedSource(&audio.Silence{}, clk, audio.FrameDuration), &pacedDiscard{clock: clk}, nil
	}
	src, sink, err := m.audio(callID)
	if err != nil {
		return nil, nil, fmt.Errorf("audio for call %s: %w", callID, err)
	}
	return src, sink, nil
}

// pump forwards session events to the hooks until the session closes.
func (m *Manager) pump(c *managedCall) {
	for ev := range c.s.Events() {
		switch ev.Kind {
		case EventDTMF:
			if c.hooks.OnDTMF != nil {
				c.hooks.OnDTMF(byte(ev.Digit))
			}
		case EventTimeout, EventSecurity:
			if c.hooks.OnTimeout != nil {
				c.hooks.OnTimeout()
			}
		}
	}
}

// SendDTMF sends one digit on the call as RFC 4733 events.
func (m *Manager) SendDTMF(callID string, digit byte) error {
	c, err := m.call(callID)
	if err != nil {
		return err
	}
	return c.s.SendDTMF(string(rune(digit)))
}

// ReceiveInfoDigit passes a digit from a SIP INFO on the call into its
// merged digit stream (see Session.ReceiveInfoDigit).
func (m *Manager) ReceiveInfoDigit(callID string, digit rune) error {
	c, err := m.call(callID)
	if err != nil {
		return err
	}
	return c.s.ReceiveInfoDigit(digit)
}

// Stats returns the call's media statistics.
func (m *Manager) Stats(callID string) (Stats, error) {
	c, err := m.call(callID)
	if err != nil {
		return Stats{}, err
	}
	return c.s.Stats(), nil
}

// Close ends the call's media and waits until its goroutines are gone.
// Closing an unknown call does nothing.
func (m *Manager) Close(callID string) {
	m.mu.Lock()
	c, ok := m.calls[callID]
	delete(m.calls, callID)
	if ok {
		c.closed = true
	}
	m.mu.Unlock()
	if !ok {
		return
	}
	if c.cancel != nil {
		c.cancel()
	}
	c.s.Close()
	if c.running {
		<-c.done
	}
}

// pacedDiscard is a sink that drops frames at the playback rate.
type pacedDiscard struct {
	clock audio.Clock
	next  time.Time
}

func (p *pacedDiscard) Write(ctx context.Context, _ []int16) error {
	if now := p.clock.Now(); p.next.IsZero() || now.Sub(p.next) > 5*audio.FrameDuration {
		p.next = now // start, or resync after a stall
	}
	p.next = p.next.Add(audio.FrameDuration)
	return p.clock.WaitUntil(ctx, p.next)
}

func (p *pacedDiscard) Close() error { return nil }
