package aec

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// Path joins a speaker and a microphone through a Canceller: Sink wraps
// the speaker and keeps what was written to it (the reference), Source
// wraps a microphone and cancels from each frame the reference that was
// playing when the frame was captured.
//
// The reference is indexed by samples written; a microphone frame is
// matched to it by sample count, so both devices must run on one clock
// (one sound card, or paced stand-ins on the system clock). The offset
// between the two counts is set at a call's first frame from the devices'
// own delays (audio.Delayer: what the speaker still holds, what the
// microphone captured but was not yet read) plus PathConfig.Delay, and set
// again when that measure stays away from it (a speaker that ran dry).
type Path struct {
	cfg  PathConfig
	rate int // samples per second
	lead int // samples the reference is taken ahead of the measured point

	mu     sync.Mutex
	ring   []int16 // reference, indexed by written sample count mod len
	w      int64   // samples written to the speaker
	pend   int64   // samples the speaker held just after the last write
	at     time.Time
	spare  *Canceller // a converged canceller between calls
	logged time.Time  // last re-alignment logged
}

// PathConfig sets up a Path.
type PathConfig struct {
	// Canceller is the canceller's configuration; its SampleRate is the
	// rate of the frames read and written.
	Canceller Config
	// Delay is added to the delays the devices report: what happens
	// between speaker and microphone that no device reports (a file or
	// pipe stand-in, an amplifier with its own buffer).
	Delay time.Duration
	// Lead is how much earlier in the reference than the measured point
	// the echo path starts (it is spent from the tail): room for a delay
	// reported a little too long. Zero means one 20 ms frame.
	Lead time.Duration
	// Clock times the speaker's writes; nil means the system clock.
	Clock audio.Clock
	// Log receives alignment notes; nil discards them.
	Log *slog.Logger
}

// Alignment constants.
const (
	ringSeconds  = 2                      // reference kept
	resyncAfter  = 25                     // frames the measure must stay off before re-aligning
	resyncMargin = 30 * time.Millisecond  // how far off counts as off
	logEvery     = 10 * time.Second       // re-alignment notes at most this often
	defaultLead  = 20 * time.Millisecond  // default Lead
	maxPathDelay = 500 * time.Millisecond // largest Delay
)

// NewPath returns a Path for cfg; the canceller's configuration is
// checked here.
func NewPath(cfg PathConfig) (*Path, error) {
	c, err := New(cfg.Canceller)
	if err != nil {
		return nil, err
	}
	if cfg.Delay < 0 || cfg.Delay > maxPathDelay {
		return nil, fmt.Errorf("aec: path delay %v (want 0 to %v): %w", cfg.Delay, maxPathDelay, ErrConfig)
	}
	if cfg.Lead == 0 {
		cfg.Lead = defaultLead
	}
	if cfg.Clock == nil {
		cfg.Clock = audio.SystemClock()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	rate := cfg.Canceller.SampleRate
	n := 1
	for n < ringSeconds*rate {
		n <<= 1
	}
	return &Path{cfg: cfg, rate: rate, lead: samples(cfg.Lead, rate), ring: make([]int16, n), spare: c}, nil
}

func samples(d time.Duration, rate int) int { return int(d * time.Duration(rate) / time.Second) }

// Sink wraps the speaker: every frame written to it is kept as the
// reference.
func (p *Path) Sink(s audio.Sink) audio.Sink { return &refSink{p: p, s: s} }

type refSink struct {
	p *Path
	s audio.Sink
}

// Write keeps frame as the reference, then plays it.
func (r *refSink) Write(ctx context.Context, frame []int16) error {
	p := r.p
	p.mu.Lock()
	for _, v := range frame {
		p.ring[int(p.w)&(len(p.ring)-1)] = v
		p.w++
	}
	p.mu.Unlock()
	err := r.s.Write(ctx, frame)
	d, _ := audio.DelayOf(r.s)
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	p.pend, p.at = int64(samples(d, p.rate)), now
	p.mu.Unlock()
	return err
}

// Close closes the speaker.
func (r *refSink) Close() error { return r.s.Close() }

// Restart restarts the wrapped sink's pacing, when it has any.
func (r *refSink) Restart() {
	if x, ok := r.s.(audio.Restarter); ok {
		x.Restart()
	}
}

// Delay is the wrapped sink's, when it reports one.
func (r *refSink) Delay() (time.Duration, error) {
	d, _ := audio.DelayOf(r.s)
	return d, nil
}

// playing returns the index of the reference sample the speaker plays
// now (the last one written less what the speaker still held, advanced by
// the time since, but never past what was written) and how many samples
// were written.
func (p *Path) playing() (at, written int64) {
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	at = p.w - p.pend + int64(samples(now.Sub(p.at), p.rate))
	return min(at, p.w), p.w
}

// take returns the spare canceller, or a new one while another call holds
// it.
func (p *Path) take() *Canceller {
	p.mu.Lock()
	c := p.spare
	p.spare = nil
	p.mu.Unlock()
	if c == nil {
		c, _ = New(p.cfg.Canceller) // checked by NewPath
	}
	return c
}

// give keeps c, converged on this room, for the next call.
func (p *Path) give(c *Canceller) {
	p.mu.Lock()
	p.spare = c
	p.mu.Unlock()
}

// reference copies the reference samples [end-len(dst), end) into dst;
// samples not written yet or no longer kept are silence.
func (p *Path) reference(dst []int16, end int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := end - int64(len(dst))
	for i := range dst {
		k := start + int64(i)
		if k < 0 || k >= p.w || k < p.w-int64(len(p.ring)) {
			dst[i] = 0
			continue
		}
		dst[i] = p.ring[int(k)&(len(p.ring)-1)]
	}
}
