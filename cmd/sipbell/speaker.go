package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/device"
)

// speakerQueue is how many received call frames may wait for the speaker
// (each 20 ms): enough to absorb scheduling jitter, little added delay.
const speakerQueue = 3

// speaker owns the playback device for a core's lifetime. One goroutine
// writes a frame every period, paced by the device: the current call's
// received audio (when a call runs) with the door station's cues
// (ringback, busy, beeps) mixed in, so the visitor hears both, also when
// no call is open.
//
// With nothing to play (no call audio, no cue) it rests instead of writing
// silence 50 times a second: an idle door station costs no CPU. It wakes on
// the next call frame or cue; a sound card that ran dry recovers from the
// underrun, and a paced stand-in restarts its schedule. While a call runs
// it never rests (silence is written when no frame is there), so the echo
// canceller's reference stays in step with the microphone.
type speaker struct {
	sink audio.Sink
	cues *device.Cues
	free chan []int16  // empty frame buffers
	full chan []int16  // received call audio waiting to be played
	wake chan struct{} // something to play arrived while resting
	ear  *earpiece     // the analog phone's tones (mode ata), nil otherwise
	busy atomic.Int32  // calls running

	// frame is the samples per 20 ms at the device's rate (160, or 320
	// at 16 kHz: wideband.go); wide upsamples the cues at 16 kHz.
	frame int
	wide  *wideCues

	// feeds are the calls' media loops attached to the speaker (issue
	// 16): each is called once per period on run's goroutine for the
	// call's frame. feedMu is held while they run, so a detach waits.
	feedMu sync.Mutex
	feeds  []speakerFeed
	feedID uint64
	mixBuf []int16
}

// speakerFeed is an attached call loop and the key its detach removes.
type speakerFeed struct {
	id uint64
	f  audio.Feed
}

// maxFeeds bounds the calls whose audio the speaker mixes at once (a
// phone's call waiting holds two).
const maxFeeds = 4

// inCall counts a call starting (+1) or ending (-1).
func (s *speaker) inCall(d int32) {
	s.busy.Add(d)
	s.poke()
}

func newSpeaker(sink audio.Sink, cues *device.Cues) *speaker {
	rate := speakerRate(sink) // wideband.go
	s := &speaker{sink: sink, cues: cues, frame: rate / 50, wide: newWideCues(rate), wake: make(chan struct{}, 1),
		free: make(chan []int16, speakerQueue), full: make(chan []int16, speakerQueue),
		feeds: make([]speakerFeed, 0, maxFeeds), mixBuf: make([]int16, rate/50)}
	for range speakerQueue {
		s.free <- make([]int16, s.frame)
	}
	return s
}

// run plays until ctx ends; a failing device ends it with the error.
func (s *speaker) run(ctx context.Context) error {
	out := make([]int16, s.frame)
	for {
		if len(s.full) == 0 && s.busy.Load() == 0 && !s.fed() && !s.cues.Active() && (s.ear == nil || !s.ear.Active()) {
			select { // rest until there is something to play
			case <-ctx.Done():
				return nil
			case <-s.wake:
			}
			if r, ok := s.sink.(audio.Restarter); ok {
				r.Restart()
			}
		}
		s.callFrame(out)
		if err := s.mixCues(ctx, out); err != nil && ctx.Err() == nil {
			return err
		}
		if s.ear != nil {
			if err := s.ear.Mix(ctx, out); err != nil && ctx.Err() == nil {
				return err
			}
		}
		if err := s.sink.Write(ctx, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// callFrame fills out with the calls' audio: the attached feeds' frames
// mixed, else a frame a call wrote, else silence.
func (s *speaker) callFrame(out []int16) {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	if len(s.feeds) > 0 {
		s.feeds[0].f(out)
		for _, e := range s.feeds[1:] {
			e.f(s.mixBuf)
			for i, v := range s.mixBuf {
				out[i] = int16(max(min(int32(out[i])+int32(v), 32767), -32768))
			}
		}
		return
	}
	select {
	case buf := <-s.full:
		copy(out, buf)
		s.free <- buf
	default:
		clear(out)
	}
}

// fed reports whether a call's loop is attached.
func (s *speaker) fed() bool {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	return len(s.feeds) > 0
}

// attach adds a call's media loop (see audio.Driver).
func (s *speaker) attach(f audio.Feed) (func(), error) {
	s.feedMu.Lock()
	if len(s.feeds) >= maxFeeds {
		s.feedMu.Unlock()
		return nil, fmt.Errorf("speaker: attach call audio: %w (%d calls)", audio.ErrDriverFull, maxFeeds)
	}
	s.feedID++
	id := s.feedID
	s.feeds = append(s.feeds, speakerFeed{id: id, f: f})
	s.feedMu.Unlock()
	s.poke()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.feedMu.Lock()
			defer s.feedMu.Unlock()
			for i := range s.feeds {
				if s.feeds[i].id == id {
					s.feeds = append(s.feeds[:i], s.feeds[i+1:]...)
					break
				}
			}
		})
	}, nil
}

// callSink is the Sink a call's media plays through. As an audio.Driver
// it runs the call's loop on the speaker's goroutine, once per period
// (one wake-up per frame, issue 16); Write, for writers that push, blocks
// while the speaker's queue is full, so the call's playout follows the
// speaker's clock.
func (s *speaker) callSink() audio.Sink { return speakerSink{s} }

type speakerSink struct{ s *speaker }

// Attach runs feed once per speaker period (audio.Driver).
func (k speakerSink) Attach(feed audio.Feed) (func(), error) { return k.s.attach(feed) }

func (k speakerSink) Write(ctx context.Context, frame []int16) error {
	if len(frame) != k.s.frame {
		return errors.New("speaker: frame is not 20 ms")
	}
	select {
	case buf := <-k.s.free:
		copy(buf, frame)
		k.s.full <- buf
		k.s.poke()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poke wakes a resting speaker.
func (s *speaker) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sounds are the door station's cues as the device plays them: each Play
// also wakes the speaker.
type sounds struct{ s *speaker }

func (x sounds) Play(c device.Cue) error {
	err := x.s.cues.Play(c)
	x.s.poke()
	return err
}

func (x sounds) Stop() error { return x.s.cues.Stop() }

// Close does nothing: the speaker outlives each call.
func (speakerSink) Close() error { return nil }

// openSpeaker opens the playback device for the core, falling back to a
// paced discard when it cannot be opened (the door still works).
func openSpeaker(ctx context.Context, a *callAudio, cues *device.Cues, log *slog.Logger) *speaker {
	sink, err := a.openPlayback(ctx)
	if err != nil {
		log.Error("speaker unavailable: the visitor hears nothing", "device", a.cfg.Playback, "err", err)
		sink = ratedSink{audio.NewPacedSink(&audio.Discard{}, audio.SystemClock(), audio.FrameDuration), a.rate}
	}
	return newSpeaker(sink, cues)
}
