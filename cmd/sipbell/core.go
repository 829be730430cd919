package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/internal/localzone"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/media"
)

// core is one generation of the configured firmware: the board, the SIP
// user agent and the device logic, with the goroutines serving them.
type core struct {
	hw      *hardware
	audio   *callAudio
	cues    *device.Cues
	speaker *speaker
	ata     *handset // mode ata: the phone's earpiece and microphone
	agent   *ua.UA
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// Set by the door-station wiring; nil while none runs.
	openDoor     func(ctx context.Context, who string) error
	call         func(ctx context.Context, targets []string) error
	deviceStatus func(ctx context.Context) (any, error)
	door         *device.Device // guest codes (access_guests.go)

	mu       sync.Mutex
	subs     []chan ua.Event
	firstSub bool              // subs[0] is the device's (subscribeUAFirst)
	regs     map[string]string // account → "registered", "failed: 403 Forbidden", ...
	// regsChanged is closed (and replaced) at each registration change.
	regsChanged chan struct{}
	// uaUsers are parts that send through the agent as they stop (the
	// voicemail subscription's end): the agent stops after them.
	uaUsers sync.WaitGroup
}

// startCore builds and starts a core from cfg. On error nothing is left
// running.
func (a *app) startCore(ctx context.Context, cfg provisioning.File) (*core, error) {
	if a.o.sipListen != "" {
		cfg.SIP.Listen = a.o.sipListen
	}
	spec := cfg.SIP.Listen
	if kept := a.keptSIPAddr(spec); kept != "" {
		// Same listen setting with port 0: stay on the port the phones
		// already know, rather than moving to a new random one.
		cfg.SIP.Listen = kept
	}
	if a.o.sipTrace {
		cfg.SIP.Trace = true
	}
	a.trace.on.Store(cfg.SIP.Trace)
	zone, _ := localzone.Load(cfg.Device.TimeZone) // validated with the file
	localzone.Set(zone)
	// The core belongs to the process: it runs until stop, never ending
	// with the context of whoever asked for it (an HTTP request that
	// saved the configuration, a provisioning fetch). ctx only carries
	// values here.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &core{cancel: cancel}
	err := c.open(cctx, a, cfg)
	if err != nil && cfg.SIP.Listen != spec {
		a.log.Warn("the SIP port in use before is taken now; listening on a new one", "port_was", cfg.SIP.Listen, "err", err)
		cfg.SIP.Listen = spec
		err = c.open(cctx, a, cfg)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	a.sipSpec, a.sipBound = spec, c.agent.Addr().String()
	warnIfNobodyCanCall(a.log, cfg)
	// The door station subscribes before the pumps start, so it sees the
	// first registration and input events.
	dev, err := c.startDevice(cctx, a, cfg)
	if err != nil {
		c.stop(a.log)
		return nil, err
	}
	c.openDoor, c.call, c.door = dev.OpenDoor, dev.Call, dev
	c.deviceStatus = func(ctx context.Context) (any, error) { return dev.Status(ctx) }
	c.recordHistory(cctx, a, dev)
	c.startSelfTest(cctx, a, cfg, dev)
	// Presence, watchers, MESSAGE commands and notifications; the agent
	// runs on until the watchers were told of a shutdown.
	uaCtx, err := c.startSIMPLE(cctx, a, cfg, dev)
	if err == nil {
		err = c.startMQTT(cctx, a, cfg, dev)
	}
	if err != nil {
		c.stop(a.log)
		return nil, err
	}
	// Every listener to the device's events (history, presence, MQTT)
	// has subscribed: the device may run and report.
	c.goRun(cctx, a, "door station", dev.Run)
	c.goRun(uaCtx, a, "sip", c.agent.Run)
	c.goRun(cctx, a, "sip events", func(ctx context.Context) error { return c.pumpUA(ctx, a) })
	c.goRun(cctx, a, "board", c.hw.pump)
	c.goRun(cctx, a, "speaker", c.speaker.run)
	if sim := c.hw.b.Sim(); sim != nil {
		h := sim.Handler()
		a.sim.Store(&h)
		c.goRun(cctx, a, "sim terminal", func(ctx context.Context) error {
			return sim.RunTerminal(ctx, linesReader(ctx, a.lines), a.stdout)
		})
	} else {
		a.sim.Store(nil)
	}
	return c, nil
}

// open opens the board, the sound (cues, speaker, microphones per call)
// and the user agent's sockets; on error it closes what it opened.
func (c *core) open(ctx context.Context, a *app, cfg provisioning.File) error {
	hw, err := openBoard(cfg, a.log, a.o.boardOptions()...)
	if err != nil {
		return fmt.Errorf("open board %q: %w", cfg.Board.Profile, err)
	}
	c.hw = hw
	alog := a.log.With("component", "audio")
	if c.cues, err = device.NewCues(cfg.Audio.ToneCountry, cfg.Device.Prompts); err != nil {
		hw.close()
		return fmt.Errorf("door station sounds: %w", err)
	}
	c.audio = newCallAudio(ctx, cfg, alog)
	applyMixer(c.audio.cfg, alog) // volume and gain, before anything plays
	c.speaker = openSpeaker(ctx, c.audio, c.cues, alog)
	c.audio.speaker = c.speaker
	if cfg.Device.Mode == device.ModeATA {
		c.ata = newHandset(ctx.Done(), c.audio, cfg.Device.Phone, c.speaker, alog)
		c.audio.mic = c.ata.mic
	}
	mlog := a.log.With("component", "media")
	mm := media.NewManager(cfg.Media, mlog, c.audio.forCall)
	mm.AudioRate = c.audio.rate
	// The door station decides which calls are answered (device.auto_answer,
	// limited by device.door.allowed): the user agent only answers when told.
	cfg.SIP.AutoAnswer = false
	ataCalls(&cfg)
	doorCalls(&cfg)
	opts := append([]ua.Option{ua.WithMediaConfig(cfg.Media), ua.WithCheckSync(a.checkSync),
		ua.WithMedia(mediaHandler{mm, c.audio, mlog, a.trim}), ua.WithStateDir(cfg.Provisioning.StateDir)}, c.ataOptions()...)
	c.agent, err = ua.New(cfg.SIP, version, a.log.With("component", "sip"), opts...)
	if err == nil {
		err = c.agent.Listen()
	}
	if err != nil {
		c.closeParts()
		return fmt.Errorf("sip user agent: %w", err)
	}
	return nil
}

// closeParts closes the devices: microphones, speaker, cues, board.
func (c *core) closeParts() {
	if c.ata != nil {
		c.ata.mic.close()
	}
	c.audio.close()
	c.speaker.sink.Close()
	c.cues.Close()
	c.hw.close()
}

// goRun runs part in the core's goroutine group. A part that fails while
// the core is meant to run is reported to the app.
func (c *core) goRun(ctx context.Context, a *app, name string, part func(context.Context) error) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := part(ctx); err != nil && ctx.Err() == nil {
			a.fail(fmt.Errorf("%s: %w", name, err))
		}
	}()
}

// stop cancels the core and waits for its goroutines (the UA unregisters
// and hangs up on the way), bounded by shutdownGrace.
func (c *core) stop(log *slog.Logger) {
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		log.Error("core did not stop in time", "grace", shutdownGrace)
	}
	c.closeParts()
}

// subscribeUA returns a channel receiving every UA event of this core.
func (c *core) subscribeUA(buf int) <-chan ua.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan ua.Event, buf)
	c.subs = append(c.subs, ch)
	return ch
}

// subscribeUAFirst is subscribeUA for the one consumer that decides
// about calls (the device): each event reaches it before any other
// subscriber, and an incoming call lets it run before them (pumpUA), so
// that an auto-answer's 200 OK goes out before the history's fsync, the
// presence and MQTT reports of the same call (issue 16).
func (c *core) subscribeUAFirst(buf int) <-chan ua.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan ua.Event, buf)
	c.subs = append([]chan ua.Event{ch}, c.subs...)
	c.firstSub = true
	return ch
}

// pumpUA tracks the registration states for Health and hands every UA
// event to the subscribers.
func (c *core) pumpUA(ctx context.Context, a *app) error {
	return c.pump(ctx, c.agent.Events(), a.log)
}

// pump is pumpUA over the event channel events.
func (c *core) pump(ctx context.Context, events <-chan ua.Event, log *slog.Logger) error {
	// A flood of admitted calls can fill a slow subscriber's queue: one
	// line per 10 s, the rest counted in its summary.
	drops := ua.NewLogLimiter(log, nil, 10*time.Second, 4)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			c.mu.Lock()
			if ev.Kind == ua.EventRegistration {
				if c.regs == nil {
					c.regs = map[string]string{}
				}
				st := ev.Reg.String()
				if ev.Reason != "" {
					st += ": " + ev.Reason
				}
				c.regs[ev.Account] = st
				if c.regsChanged != nil {
					close(c.regsChanged)
					c.regsChanged = nil
				}
			}
			for i, ch := range c.subs {
				select {
				case ch <- ev:
				default:
					drops.Log(slog.LevelWarn, "events", "sip event dropped: consumer too slow", "event", ev.String())
				}
				if i == 0 && c.firstSub && ev.Kind == ua.EventIncomingCall {
					// The device decides first: with one P the goroutine
					// readied last runs first, so without this the other
					// subscribers' work would come before the answer.
					c.mu.Unlock()
					runtime.Gosched()
					c.mu.Lock()
				}
			}
			c.mu.Unlock()
		}
	}
}

// registrations returns each account's registration state.
func (c *core) registrations() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.regs))
	for k, v := range c.regs {
		out[k] = v
	}
	return out
}

// awaitRegistrations waits until n accounts have registered or failed,
// and returns every account's state.
func (c *core) awaitRegistrations(ctx context.Context, n int) (map[string]string, error) {
	for {
		c.mu.Lock()
		done := 0
		for _, st := range c.regs {
			if strings.HasPrefix(st, ua.Registered.String()) || strings.HasPrefix(st, ua.RegFailed.String()) {
				done++
			}
		}
		if done >= n {
			c.mu.Unlock()
			return c.registrations(), nil
		}
		if c.regsChanged == nil {
			c.regsChanged = make(chan struct{})
		}
		changed := c.regsChanged
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return c.registrations(), fmt.Errorf("await registrations: %w", ctx.Err())
		}
	}
}

// linesReader turns the app's terminal lines into a reader that ends when
// ctx does, so a core's terminal stops with its core.
func linesReader(ctx context.Context, lines <-chan string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for {
			select {
			case <-ctx.Done():
				pw.CloseWithError(io.EOF)
				return
			case l := <-lines:
				if _, err := io.WriteString(pw, l+"\n"); err != nil {
					return
				}
			}
		}
	}()
	return pr
}

// serveSim serves the simulated board's controls on addr for the app's
// lifetime, whichever core is current.
func (a *app) serveSim(ctx context.Context, addr string) (func(context.Context) error, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, fmt.Errorf("sim http %s: %w", addr, err)
	}
	a.log.Info("sim board http", "url", "http://"+ln.Addr().String()+"/state")
	return func(ctx context.Context) error {
		err := serveHTTP(ctx, ln, a.SimHandler())
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}, nil
}
