package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/aec"
	"github.com/sipbell/sipbell/audio/audiodev"
	"github.com/sipbell/sipbell/audio/callerid"
	"github.com/sipbell/sipbell/audio/dtmf"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/presence"
)

// This file is the analog phone's (device.mode: ata) sound: the earpiece
// (tones and caller ID mixed into the speaker path with the call's audio)
// and the handset's microphone, open while the phone is off hook, heard
// by a DTMF detector and handed to the call. With audio.echo_cancel on,
// the earpiece's sound coming back on the microphone (a 2-wire hybrid's
// echo) is cancelled before both: the line echo canceller.

// handset is the device.Handset of the firmware.
type handset struct {
	country string
	ear     *earpiece
	mic     *handsetMic
	mwi     chan bool // the PBX's latest message-summary, for the device
}

var _ device.Handset = (*handset)(nil)

func (h *handset) Tone(k tone.Kind) error {
	p, err := tone.Lookup(h.country, k)
	if err != nil {
		return fmt.Errorf("handset: tone %s: %w", k, err)
	}
	gain := tone.DefaultGain
	if k == tone.Howler {
		gain = tone.HowlerGain
	}
	g, err := tone.New(p, gain)
	if err != nil {
		return fmt.Errorf("handset: tone %s: %w", k, err)
	}
	h.ear.swap(g)
	return nil
}

func (h *handset) Play(pcm []int16) error { h.ear.swap(callerid.NewSource(pcm)); return nil }
func (h *handset) Quiet() error           { h.ear.swap(nil); return nil }
func (h *handset) Listen(on bool) error   { h.mic.listen(on); return nil }

// Follow implements device.CallFollower: the microphone goes to callID.
func (h *handset) Follow(callID string) error { h.mic.follow(callID); return nil }

// MuteCall implements device.CallMuter: the calls' audio leaves the
// earpiece and the calls get silence from the microphone (caller ID on
// call waiting passes meanwhile).
func (h *handset) MuteCall(on bool) error {
	h.ear.muted.Store(on)
	h.mic.muted.Store(on)
	return nil
}

// earpiece is what the phone plays into the speaker path: one tone or
// caller ID at a time, and the sidetone. The speaker mixes it into every
// frame it writes.
type earpiece struct {
	poke  func()      // wakes a resting speaker
	muted atomic.Bool // the calls' audio is left out (caller ID on call waiting)
	late  bool        // the sidetone is mixed by sidetoneSink, below the echo reference

	mu   sync.Mutex
	cur  audio.Source
	side []int16 // the last microphone frame, scaled, not yet mixed
	buf  []int16
}

func (e *earpiece) swap(src audio.Source) {
	e.mu.Lock()
	if e.cur != nil {
		e.cur.Close()
	}
	e.cur = src
	e.mu.Unlock()
	if e.poke != nil {
		e.poke()
	}
}

// sidetone hands a microphone frame, already scaled, to the next Mix.
func (e *earpiece) sidetone(frame []int16) {
	e.mu.Lock()
	e.side = append(e.side[:0], frame...)
	e.mu.Unlock()
}

// Active reports whether the earpiece has something to play.
func (e *earpiece) Active() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur != nil || len(e.side) > 0
}

// Mix adds the next frame of the tone or caller ID, and the sidetone,
// into frame, saturating.
func (e *earpiece) Mix(ctx context.Context, frame []int16) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	add := func(src []int16) {
		for i := range min(len(src), len(frame)) {
			frame[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(frame[i])+int32(src[i]))))
		}
	}
	if e.muted.Load() {
		clear(frame)
		e.side = e.side[:0]
	}
	if !e.late {
		add(e.side)
		e.side = e.side[:0]
	}
	if e.cur == nil {
		return nil
	}
	if cap(e.buf) < len(frame) {
		e.buf = make([]int16, len(frame))
	}
	buf := e.buf[:len(frame)]
	if err := e.cur.Read(ctx, buf); err != nil {
		e.cur.Close()
		e.cur = nil
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("earpiece: %w", err)
	}
	add(buf)
	return nil
}

// handsetMic reads the handset's microphone while the phone is off hook:
// DTMF keys become device inputs, frames go to the call (and, scaled, to
// the earpiece as sidetone while a call has the microphone).
type handsetMic struct {
	cfg      audio.Config
	log      *slog.Logger
	ear      *earpiece
	sidetone float64   // linear gain, 0: none
	echo     *aec.Path // the line echo canceller (earpiece to microphone); nil when off
	input    func(context.Context, device.Input) error
	done     <-chan struct{} // the core stops

	open  atomic.Bool // the microphone is open and read
	muted atomic.Bool // the calls get silence (caller ID on call waiting)

	mu     sync.Mutex
	cancel context.CancelFunc // the reader while listening
	wg     sync.WaitGroup
	calls  map[string]chan []int16 // frames for each call by ID
	last   string                  // the call that took the microphone last
	active string                  // the call the phone talks in (Follow), "" for the last
}

// micWait is how long a call waits for a frame of an open microphone
// before it sends silence.
const micWait = 5 * audio.FrameDuration

func (m *handsetMic) listen(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if !on {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		select {
		case <-m.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.read(ctx)
	}()
}

// read opens the microphone and reads it until ctx ends.
func (m *handsetMic) read(ctx context.Context) {
	octx, ocancel := context.WithTimeout(ctx, audioOpenTimeout)
	src, err := audiodev.OpenCapture(octx, m.cfg, audio.SystemClock())
	ocancel()
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("handset microphone unavailable: no DTMF dialling, the call sends silence", "device", m.cfg.Capture, "err", err)
		}
		return
	}
	if m.echo != nil { // before the DTMF detector: no digits from the far end's echo
		src = m.echo.Source(src)
	}
	defer src.Close()
	m.open.Store(true)
	defer m.open.Store(false)
	det := dtmf.NewDetector(dtmf.DefaultThresholds())
	frame := audio.NewFrame()
	var keys []byte
	for {
		if err := src.Read(ctx, frame); err != nil {
			if ctx.Err() == nil && !errors.Is(err, io.EOF) {
				m.log.Warn("handset microphone failed", "err", err)
			}
			return
		}
		keys = det.Process(keys[:0], frame)
		for _, k := range keys {
			if err := m.input(ctx, device.Input{Kind: device.HandsetDigit, Digit: k}); err != nil {
				return
			}
		}
		m.toCall(frame)
	}
}

// toCall hands frame to the call, if one has the microphone, and to the
// earpiece as sidetone.
func (m *handsetMic) toCall(frame []int16) {
	m.mu.Lock()
	ch, ok := m.calls[m.active]
	if !ok {
		ch = m.calls[m.last]
	}
	m.mu.Unlock()
	if ch == nil {
		return
	}
	out := append([]int16(nil), frame...)
	if m.muted.Load() {
		clear(out)
	}
	select {
	case ch <- out:
	default: // the call is behind: drop rather than queue delay
	}
	if m.sidetone > 0 && !m.muted.Load() {
		side := make([]int16, len(frame))
		for i, v := range frame {
			side[i] = int16(float64(v) * m.sidetone)
		}
		m.ear.sidetone(side)
	}
}

// callSource is the microphone as call id's audio source; the frames go
// to the call the phone follows (call waiting), or the newest.
func (m *handsetMic) callSource(id string) audio.Source {
	ch := make(chan []int16, 4)
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]chan []int16{}
	}
	m.calls[id], m.last = ch, id
	m.mu.Unlock()
	return &micSource{m: m, id: id, ch: ch}
}

// follow gives the microphone to call id (the others, held, get none).
func (m *handsetMic) follow(id string) {
	m.mu.Lock()
	m.active = id
	m.mu.Unlock()
}

// micSource delivers the handset's frames to one call; while the
// microphone is closed (or failed, or a recording ended) it sends silence
// at the frame pace.
type micSource struct {
	m       *handsetMic
	id      string
	ch      chan []int16
	once    sync.Once
	silence audio.Source // paced, while the microphone is closed
}

func (s *micSource) Read(ctx context.Context, frame []int16) error {
	if !s.m.open.Load() {
		if s.silence == nil {
			s.silence = audio.NewPacedSource(&audio.Silence{}, audio.SystemClock(), audio.FrameDuration)
		}
		return s.silence.Read(ctx, frame)
	}
	s.silence = nil
	t := time.NewTimer(micWait)
	defer t.Stop()
	select {
	case f := <-s.ch:
		copy(frame, f)
	case <-t.C:
		clear(frame)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (s *micSource) Close() error {
	s.once.Do(func() {
		s.m.mu.Lock()
		if s.m.calls[s.id] == s.ch {
			delete(s.m.calls, s.id)
		}
		s.m.mu.Unlock()
	})
	return nil
}

// close stops listening and waits for the reader.
func (m *handsetMic) close() {
	m.listen(false)
	m.wg.Wait()
}

// dbGain turns decibels into a linear gain (0 dB: off, 0).
func dbGain(db float64) float64 {
	if db == 0 {
		return 0
	}
	return math.Pow(10, db/20)
}

// mixSide adds the pending sidetone into frame, saturating.
func (e *earpiece) mixSide(frame []int16) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range min(len(e.side), len(frame)) {
		frame[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(frame[i])+int32(e.side[i]))))
	}
	e.side = e.side[:0]
}

// sidetoneSink is the speaker's device under the echo canceller's
// reference: the analog phone's sidetone is mixed in here, after the
// reference was kept. In the reference, the sidetone (the microphone a
// frame ago) would let the canceller predict, and so cancel, the user's
// own steady sounds.
type sidetoneSink struct {
	audio.Sink
	ear atomic.Pointer[earpiece] // nil: nothing to mix (the door, no phone yet)
	buf []int16
}

// Write plays frame with the sidetone mixed in.
func (s *sidetoneSink) Write(ctx context.Context, frame []int16) error {
	if e := s.ear.Load(); e != nil {
		s.buf = append(s.buf[:0], frame...)
		e.mixSide(s.buf)
		frame = s.buf
	}
	return s.Sink.Write(ctx, frame)
}

// Delay is the device's, when it reports one (audio.Delayer).
func (s *sidetoneSink) Delay() (time.Duration, error) {
	d, _ := audio.DelayOf(s.Sink)
	return d, nil
}

// Restart passes a restart on to the device (audio.Restarter).
func (s *sidetoneSink) Restart() {
	if x, ok := s.Sink.(audio.Restarter); ok {
		x.Restart()
	}
}

// newHandset makes the analog phone's earpiece (mixed into the speaker
// sp) and microphone (a's capture device); a's echo path, when on,
// cancels the earpiece from the microphone, the sidetone left out of its
// reference.
func newHandset(done <-chan struct{}, a *callAudio, pc device.PhoneConfig, sp *speaker, log *slog.Logger) *handset {
	pc = pc.WithDefaults()
	ear := &earpiece{poke: sp.poke, late: a.side != nil}
	if a.side != nil {
		a.side.ear.Store(ear)
	}
	sp.ear = ear
	return &handset{country: pc.Country, ear: ear, mwi: make(chan bool, 1),
		mic: &handsetMic{cfg: a.cfg, log: log, ear: ear, sidetone: dbGain(pc.SidetoneDB), echo: a.echo, done: done}}
}

// lineEchoTail is the line echo canceller's tail where
// audio.echo_cancel.tail is left out: a 2-wire hybrid's echo is over in
// a few milliseconds (G.168 asks for 32 to 128 ms), and the path spends
// 20 ms of it as lead.
const lineEchoTail = 64 * time.Millisecond

// lineEcho is acfg with the line echo canceller's tail for the analog
// phone (mode ata) where the configuration leaves the acoustic default
// (the defaults fill it in before the file is read, so a tail written as
// that default is taken as left out too).
func lineEcho(acfg audio.Config, mode string) audio.Config {
	if t := acfg.EchoCancel.Tail; mode == device.ModeATA && (t == 0 || t == audio.DefaultEchoCancel().Tail) {
		acfg.EchoCancel.Tail = lineEchoTail
	}
	return acfg
}

// ataCalls lets the user agent hold a second call for call waiting.
func ataCalls(cfg *provisioning.File) {
	if cfg.Device.Mode == device.ModeATA && cfg.Device.Phone.CallWaiting && cfg.SIP.MaxCalls < 2 {
		cfg.SIP.MaxCalls = 2
	}
}

// ataOptions are the user agent's options for the analog phone: it takes
// the PBX's message-summary NOTIFYs (voicemail waiting).
func (c *core) ataOptions() []ua.Option {
	if c.ata == nil {
		return nil
	}
	return []ua.Option{ua.WithMessageWaiting(c.ata.messageWaiting)}
}

// messageWaiting keeps the latest state for relayMWI; it never blocks.
func (h *handset) messageWaiting(waiting bool, _ string) {
	for {
		select {
		case h.mwi <- waiting:
			return
		default:
			select { // replace the state not yet relayed
			case <-h.mwi:
			default:
			}
		}
	}
}

// voicemail hands each message-waiting state, subscribed or
// unsolicited, to the device until ctx ends; with subscribe, once the
// first account has registered (events from the agent) it subscribes to
// the account's message-summary at the PBX, and ends that subscription
// before it returns.
func (h *handset) voicemail(ctx context.Context, agent *ua.UA, events <-chan ua.Event, d *device.Device, subscribe bool, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	started := false
	relay := make(chan error, 1)
	go func() { relay <- h.relayMWI(ctx, d, log) }()
	defer func() {
		cancel()
		<-relay
		if started {
			<-done
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events: // drained throughout, so the pump never waits
			if started || !subscribe || ev.Kind != ua.EventRegistration || ev.Reg != ua.Registered {
				continue
			}
			s := mwiSubscriber(agent, log)
			if s == nil {
				continue
			}
			started = true
			go func() { defer close(done); _ = s.Run(ctx) }()
		}
	}
}

// mwiSubscriber is the message-summary subscription of the agent's first
// account, nil without one.
func mwiSubscriber(agent *ua.UA, log *slog.Logger) *presence.MWISubscriber {
	primary, ok := agent.Primary()
	if !ok {
		return nil
	}
	client, err := agent.Client(primary.Transport)
	if err != nil {
		log.Warn("no voicemail subscription", "err", err)
		return nil
	}
	s := &presence.SIPMWISender{Client: client, Account: primary.AOR, Destination: primary.Destination,
		Transport: primary.Transport, User: primary.AuthUser, Secret: primary.Password,
		Contact: agent.Contact(primary.Transport), Contacts: agent.Contact, Route: agent.PrimaryRoute, Clients: agent.Client}
	return presence.NewMWISubscriber(s, presence.MWIConfig{}, nil, log.With("component", "voicemail"))
}

// relayMWI hands each message-waiting state to the device until ctx ends.
func (h *handset) relayMWI(ctx context.Context, d *device.Device, log *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case w := <-h.mwi:
			if err := d.MessageWaiting(ctx, w); err != nil && ctx.Err() == nil {
				log.Warn("voicemail state not handed to the phone", "err", err)
			}
		}
	}
}

// boardOptions are the board options the flags ask for: -sim-off-hook
// starts the sim board's handset off hook.
func (o options) boardOptions() []board.Option {
	if o.simOffHook {
		return []board.Option{board.WithSimOffHook()}
	}
	return nil
}
