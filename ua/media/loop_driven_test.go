package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
)

// driverSink is a playback device that pulls its frames (audio.Driver):
// the test plays its clock by calling tick.
type driverSink struct {
	mu       sync.Mutex
	feed     audio.Feed
	attached chan struct{}
	detached chan struct{}
}

func newDriverSink() *driverSink {
	return &driverSink{attached: make(chan struct{}), detached: make(chan struct{})}
}

func (d *driverSink) Attach(f audio.Feed) (func(), error) {
	d.mu.Lock()
	d.feed = f
	d.mu.Unlock()
	close(d.attached)
	return func() {
		d.mu.Lock()
		d.feed = nil
		d.mu.Unlock()
		close(d.detached)
	}, nil
}

func (d *driverSink) Write(context.Context, []int16) error {
	return errors.New("driverSink: Write called, the loop should pull")
}
func (d *driverSink) Close() error { return nil }

// tick is one playback period: the attached feed fills out.
func (d *driverSink) tick(t *testing.T, out []int16) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.feed == nil {
		t.Fatal("no feed attached")
	}
	d.feed(out)
}

func awaitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: timed out", what)
	}
}

// TestRunDrivenByPlayback (issue 16): with a sink that pulls (the
// speaker), a call's media is one loop run by the playback device: each
// period sends exactly the capture frames due on the microphone's
// schedule, takes the RTP that arrived and plays one frame; Run itself
// only waits. A capture that ran on its own goroutine would send all
// frames at once on the virtual clock. Cancelling detaches; a closed
// session ends Run with ErrClosed.
func TestRunDrivenByPlayback(t *testing.T) {
	t.Parallel()
	a := listen(t, testConfig(), Options{LoopReceives: true})
	b := listen(t, testConfig(), Options{LoopReceives: true})
	a.Start(context.Background(), pcmuNeg(b.LocalAddr()))
	b.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	clk := audiotest.NewClock(time.Unix(1700000000, 0))
	mic := audiotest.NewSource(tone(600, 6000, 0, 200*frameLen))
	srcA := audio.NewPacedSource(mic, clk, audio.FrameDuration)
	srcB := audio.NewPacedSource(&audio.Silence{}, clk, audio.FrameDuration)
	spkA, spkB := newDriverSink(), newDriverSink()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx, srcA, spkA) }()
	go func() { done <- b.Run(ctx, srcB, spkB) }()
	awaitClosed(t, spkA.attached, "A's loop attached to its speaker")
	awaitClosed(t, spkB.attached, "B's loop attached to its speaker")

	const n = 40
	outA, outB := make([]int16, frameLen), make([]int16, frameLen)
	peak := 0
	for i := range n {
		spkA.tick(t, outA)
		if got := a.Stats().Sent; got != uint64(i+1) {
			t.Fatalf("after %d periods A sent %d packets, want one per period", i+1, got)
		}
		spkB.tick(t, outB)
		if i >= n/2 {
			peak = max(peak, maxAbs(outB))
		}
		clk.Advance(audio.FrameDuration)
	}
	if got := b.Stats().Received; got != n {
		t.Errorf("B received %d packets on its ticks, want %d", got, n)
	}
	if peak < 5000 {
		t.Errorf("B plays peak %d, want the 6000 tone", peak)
	}
	// A stall of the playback side: the next period catches up with the
	// microphone's schedule at once.
	clk.Advance(3 * audio.FrameDuration)
	spkA.tick(t, outA)
	if got := a.Stats().Sent; got != n+4 {
		t.Errorf("after a 60 ms stall A sent %d packets, want %d", got, n+4)
	}

	cancel()
	awaitClosed(t, spkA.detached, "A's loop detached on cancel")
	awaitClosed(t, spkB.detached, "B's loop detached on cancel")
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Run returned %v on cancel", err)
		}
	}
}

// TestRunDrivenSessionClosed: a session closed under a running driven
// loop ends Run with ErrClosed (the Manager's hang-up) and detaches.
func TestRunDrivenSessionClosed(t *testing.T) {
	t.Parallel()
	s := listen(t, testConfig(), Options{LoopReceives: true})
	s.Start(context.Background(), pcmuNeg(s.LocalAddr()))
	clk := audiotest.NewClock(time.Unix(0, 0))
	spk := newDriverSink()
	done := make(chan error, 1)
	go func() {
		done <- s.Run(context.Background(), audio.NewPacedSource(&audio.Silence{}, clk, audio.FrameDuration), spk)
	}()
	awaitClosed(t, spk.attached, "loop attached")
	s.Close()
	spk.tick(t, make([]int16, frameLen))
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the session closed")
	}
	awaitClosed(t, spk.detached, "loop detached")
}

// TestRunDrivenSendsRTCPAndTimesOut (issue 16): a call's loop sends the
// RTCP reports and watches for RTP inactivity on its own frames, so no
// timer goroutine waits on the clock: B receives A's sender report
// within 7.5 s of A's frames, and A reports the timeout once B has sent
// nothing for RTPTimeout.
func TestRunDrivenSendsRTCPAndTimesOut(t *testing.T) {
	t.Parallel()
	clk := audiotest.NewClock(time.Unix(1700000000, 0))
	cfg := testConfig()
	cfg.RTPTimeout = 2 * time.Second
	a := listen(t, cfg, Options{LoopReceives: true, Clock: clk})
	b := listen(t, testConfig(), Options{})
	a.Start(context.Background(), pcmuNeg(b.LocalAddr()))
	b.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	spk := newDriverSink()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- a.Run(ctx, audio.NewPacedSource(&audio.Silence{}, clk, audio.FrameDuration), spk)
	}()
	awaitClosed(t, spk.attached, "loop attached")

	gotSR := func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.rx.stats.lastSRAt != 0
	}
	out := make([]int16, frameLen)
	timedOut := false
	for i := 0; i < 400 && !(timedOut && gotSR()); i++ { // 8 s of frames
		spk.tick(t, out)
		clk.Advance(audio.FrameDuration)
		select {
		case ev := <-a.Events():
			if ev.Kind == EventTimeout {
				if el := time.Duration(i) * audio.FrameDuration; el < cfg.RTPTimeout {
					t.Errorf("timeout reported after %v of silence, want %v", el, cfg.RTPTimeout)
				}
				timedOut = true
			}
		default:
		}
		if i == 400-1 {
			waitFor(t, "B received A's report", gotSR)
		}
	}
	if !timedOut {
		t.Error("no timeout event from the loop after 8 s without RTP")
	}
	if w := clk.Waits(); len(w) != 0 {
		t.Errorf("a goroutine waited on the clock %d times: the loop should pace RTCP", len(w))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// BenchmarkLoopFeed is one wake-up of a call's loop on both ends (issue
// 16), as the speaker runs it: A takes its due capture frame, encodes
// and sends it (raw sendto), takes what arrived, plays a frame and looks
// at its RTCP schedule; B does the same and receives A's packet.
// Allocations must stay 0 (an RTCP report every ~5 s aside).
func BenchmarkLoopFeed(b *testing.B) {
	clk := audiotest.NewClock(time.Unix(1700000000, 0))
	opts := Options{LoopReceives: true, Clock: clk}
	a, r := listen(b, testConfig(), opts), listen(b, testConfig(), opts)
	a.Start(context.Background(), pcmuNeg(r.LocalAddr()))
	r.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	if r.raw == nil {
		b.Skip("no non-blocking receive on this platform")
	}
	mic := audiotest.NewSource(tone(440, 8000, 0, frameLen))
	mic.Loop = true
	fa := a.newFeeder(audio.NewPacedSource(mic, clk, audio.FrameDuration))
	fr := r.newFeeder(audio.NewPacedSource(&audio.Silence{}, clk, audio.FrameDuration))
	out := make([]int16, frameLen)
	b.ReportAllocs()
	for b.Loop() {
		fa.feed(out)
		fr.feed(out)
		clk.Advance(audio.FrameDuration)
	}
	if r.Stats().Received == 0 {
		b.Fatal("nothing received")
	}
}
