package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/device"
)

// testAudio is a callAudio with a microphone recording of street noise
// and a speaker that goes nowhere, its speaker running until ctx ends.
func testAudio(ctx context.Context, t *testing.T) *callAudio {
	t.Helper()
	mic := filepath.Join(t.TempDir(), "mic.wav")
	writeMicWAV(t, mic, 100)
	cfg := audio.DefaultConfig()
	cfg.Capture = mic
	cues, err := device.NewCues("US", device.Prompts{})
	if err != nil {
		t.Fatal(err)
	}
	a := &callAudio{cfg: cfg, done: ctx.Done(), log: slog.New(slog.DiscardHandler), calls: map[string]io.Closer{}, live: map[string]bool{}}
	a.speaker = newSpeaker(audio.NewPacedSink(&audio.Discard{}, audio.SystemClock(), audio.FrameDuration), cues)
	go a.speaker.run(ctx)
	return a
}

// TestSelfTestSchedule: the test runs every interval; one due during a
// call waits selfTestRetry and runs once the call is over.
func TestSelfTestSchedule(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := testAudio(ctx, t)
	a.live["c1"] = true
	waits, fire := make(chan time.Duration), make(chan time.Time)
	reports := make(chan string, 4)
	s := &selfTester{audio: a, cfg: audio.SelfTestConfig{Interval: 24 * time.Hour}, log: slog.New(slog.DiscardHandler),
		report: func(pass bool, detail string) { reports <- detail },
		after:  func(d time.Duration) <-chan time.Time { waits <- d; return fire }}
	go s.schedule(ctx)
	for i, want := range []time.Duration{24 * time.Hour, selfTestRetry, 24 * time.Hour} {
		if d := <-waits; d != want {
			t.Fatalf("wait %d: %v, want %v", i, d, want)
		}
		if i == 1 {
			a.mu.Lock()
			delete(a.live, "c1") // the call ended
			a.mu.Unlock()
		}
		if i < 2 {
			fire <- time.Now()
		}
	}
	select {
	case d := <-reports:
		if !strings.Contains(d, selftest.VerdictFault) {
			t.Errorf("report %q, want a fault (the speaker goes nowhere)", d)
		}
	default:
		t.Error("no report after the scheduled test")
	}
	if len(reports) != 0 {
		t.Errorf("%d more reports, want one test", len(reports))
	}
	if s.Last() == nil {
		t.Error("no last result")
	}
}

// TestSelfTestPreempted: a call that starts stops a running test, which
// then reports busy and has closed the microphone.
func TestSelfTestPreempted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := testAudio(ctx, t)
	s := &selfTester{audio: a, log: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, "api")
		done <- err
	}()
	for { // wait until the test holds the audio
		a.mu.Lock()
		running := a.test != nil
		a.mu.Unlock()
		if running {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the test ended before it was preempted: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	a.preemptTest()
	err := <-done
	if !errors.Is(err, selftest.ErrBusy) || !strings.Contains(err.Error(), "a call began") {
		t.Fatalf("err %v, want busy: a call began", err)
	}
	if s.Last() != nil {
		t.Error("a preempted test left a result")
	}
	if _, err := s.Run(ctx, "api"); err != nil { // the audio is free again
		t.Fatal(err)
	}
}
