package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiodev"
	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/provisioning"
)

// historySelfTest is the history kind of a self-test's outcome.
const historySelfTest = "self-test"

// selfTestRetry is how soon a scheduled test that met a call tries again.
const selfTestRetry = 30 * time.Second

// errNoSelfTest is returned when the device has no door speaker and
// microphone to test (mode ata).
var errNoSelfTest = errors.New("no door speaker and microphone to test (device.mode ata)")

// selfTester runs the speaker and microphone self-test (audio/selftest)
// for a core: on demand and every audio.self_test.interval, never during
// a call (a call that begins preempts a running test). Each outcome is
// logged, kept for /api/status (and in the state directory, for the next
// start), written to the history, published as a device event (messages,
// webhooks, presence) and handed to the watcher (MQTT).
type selfTester struct {
	audio  *callAudio
	cfg    audio.SelfTestConfig
	log    *slog.Logger
	hist   *history.Log
	store  *selfTestStore                 // nil: kept in memory only
	report func(pass bool, detail string) // device.SelfTested; nil: none
	after  func(time.Duration) <-chan time.Time
	now    func() time.Time // nil: time.Now

	mu    sync.Mutex
	last  *selftest.Result
	watch func(selftest.Result) // nil: none
}

// testRun is a running self-test, held in callAudio while it runs.
type testRun struct {
	cancel    context.CancelFunc
	done      chan struct{}
	preempted atomic.Bool // a call stopped it
}

// Last returns the last outcome, or nil.
func (s *selfTester) Last() *selftest.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// observe hands the last outcome (if any) and each new one to f.
func (s *selfTester) observe(f func(selftest.Result)) {
	s.mu.Lock()
	s.watch = f
	last := s.last
	s.mu.Unlock()
	if last != nil {
		f(*last)
	}
}

// Run tests the speaker and microphone now; it fails with
// selftest.ErrBusy during a call or another test. by says who asked, for
// the log and history.
func (s *selfTester) Run(ctx context.Context, by string) (selftest.Result, error) {
	r, err := s.audio.selfTest(ctx, selftest.Options{MinLevelDB: s.cfg.MinLevelDB})
	if err != nil {
		return r, fmt.Errorf("self-test (%s): %w", by, err)
	}
	r = boundSelfTest(r)
	s.mu.Lock()
	s.last = &r
	watch := s.watch
	s.mu.Unlock()
	if err := s.store.Save(r); err != nil {
		s.log.Warn("self-test result not kept", "err", err)
	}
	if watch != nil {
		watch(r)
	}
	attrs := []any{"by", by, "verdict", r.Verdict, "level_db", r.LevelDB, "noise_dbfs", r.NoiseDBFS, "detail", r.Detail}
	if r.Pass {
		s.log.Info("audio self-test passed", attrs...)
	} else {
		s.log.Warn("audio self-test: speaker or microphone fault", attrs...)
	}
	if s.hist != nil {
		if err := s.hist.Add(history.Entry{Kind: historySelfTest, Who: by, Detail: r.String()}); err != nil {
			s.log.Warn("event history not written", "kind", historySelfTest, "err", err)
		}
	}
	if s.report != nil {
		s.report(r.Pass, r.String())
	}
	return r, nil
}

// schedule runs the test every interval until ctx ends; a test due during
// a call waits for it to end. The first is due an interval after the last
// one kept (a restart does not put it off), selfTestRetry at the soonest.
func (s *selfTester) schedule(ctx context.Context) error {
	if s.cfg.Interval <= 0 {
		return nil
	}
	wait := s.firstWait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.after(wait):
		}
		wait = s.cfg.Interval
		if _, err := s.Run(ctx, "schedule"); errors.Is(err, selftest.ErrBusy) {
			wait = selfTestRetry
		} else if err != nil && ctx.Err() == nil {
			s.log.Warn("audio self-test not run", "err", err)
		}
	}
}

// firstWait is how long the schedule waits for its first test: what is
// left of the interval since the last outcome, within [selfTestRetry,
// Interval] (a clock set back counts as a whole interval).
func (s *selfTester) firstWait() time.Duration {
	last := s.Last()
	if last == nil || last.Time.IsZero() {
		return s.cfg.Interval
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	age := now().Sub(last.Time)
	if age < 0 {
		return s.cfg.Interval
	}
	return min(s.cfg.Interval, max(selfTestRetry, s.cfg.Interval-age))
}

// selfTest opens the microphone, plays the test signal through the cues
// on the speaker and measures it. It refuses while a call holds the audio
// and gives way to a call that starts (preemptTest).
func (a *callAudio) selfTest(ctx context.Context, opt selftest.Options) (selftest.Result, error) {
	if a.mic != nil {
		return selftest.Result{}, errNoSelfTest
	}
	run := &testRun{done: make(chan struct{})}
	ctx, run.cancel = context.WithCancel(ctx)
	defer run.cancel()
	a.mu.Lock()
	if len(a.live) > 0 || a.test != nil {
		a.mu.Unlock()
		return selftest.Result{}, selftest.ErrBusy
	}
	a.test = run
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.test = nil
		a.mu.Unlock()
		close(run.done)
	}()
	octx, ocancel := a.openCtx()
	src, err := audiodev.OpenCapture(octx, a.cfg, audio.SystemClock())
	ocancel()
	if err != nil {
		r := selftest.Result{Time: time.Now(), Verdict: selftest.VerdictFault, LevelDB: -120, NoiseDBFS: -120,
			Detail: "the microphone cannot be opened: " + err.Error()}
		return r, nil
	}
	defer src.Close()
	r, err := selftest.Run(ctx, cuePlayer{a}, src, opt)
	if err != nil && run.preempted.Load() {
		return r, fmt.Errorf("a call began: %w", selftest.ErrBusy)
	}
	return r, err
}

// preemptTest stops a running self-test and waits until it has closed the
// microphone: a call is starting.
func (a *callAudio) preemptTest() {
	a.mu.Lock()
	run := a.test
	a.mu.Unlock()
	if run == nil {
		return
	}
	run.preempted.Store(true)
	run.cancel()
	<-run.done
}

// cuePlayer plays the test signal as a cue on the speaker.
type cuePlayer struct{ a *callAudio }

func (p cuePlayer) Play(_ context.Context, sig []int16) error {
	if err := p.a.speaker.cues.PlaySignal(sig); err != nil {
		return err
	}
	p.a.speaker.poke()
	return nil
}

// startSelfTest sets up the self-test for core c (door mode only) and
// runs its schedule; dev receives the outcomes as events. The last
// outcome kept in the state directory is the last one until a test runs.
func (c *core) startSelfTest(ctx context.Context, a *app, cfg provisioning.File, dev *device.Device) {
	if c.audio.mic != nil {
		return
	}
	t := &selfTester{audio: c.audio, cfg: cfg.Audio.SelfTest, log: a.log.With("component", "audio"), hist: a.hist,
		store: newSelfTestStore(cfg.Provisioning.StateDir), report: dev.SelfTested, after: time.After}
	last, err := t.store.Load()
	if err != nil {
		t.log.Warn("last self-test result not read", "err", err)
	}
	t.last = last
	c.audio.mu.Lock()
	c.audio.tester = t
	c.audio.mu.Unlock()
	c.goRun(ctx, a, "audio self-test", t.schedule)
}

// selfTester returns the core's self-tester, or nil.
func (a *callAudio) selfTester() *selfTester {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tester
}

// SelfTest runs the speaker and microphone self-test now
// (provisioning.SelfTester).
func (x actions) SelfTest(ctx context.Context) (any, error) {
	c, err := x.current()
	if err != nil {
		return nil, err
	}
	t := c.audio.selfTester()
	if t == nil {
		return nil, errNoSelfTest
	}
	return t.Run(ctx, "api")
}

// selfTestStatus is the last self-test's outcome for /api/status, or nil.
func (c *core) selfTestStatus() *selftest.Result {
	if t := c.audio.selfTester(); t != nil {
		return t.Last()
	}
	return nil
}
