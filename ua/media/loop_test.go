package media

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/audiotest"
)

// TestRunLoop runs two sessions' media loops, clocked frame by frame by
// tick-gated fake devices: capture on A, playback on B, then hold.
func TestRunLoop(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
	na := pcmuNeg(b.LocalAddr())
	a.Start(context.Background(), na)
	b.Start(context.Background(), pcmuNeg(a.LocalAddr()))

	capA, playB := make(chan struct{}), make(chan struct{})
	srcA := audiotest.NewSource(tone(600, 6000, 0, 100*frameLen))
	srcA.Ticks = capA
	sinkA := audiotest.NewSink()
	sinkA.Ticks = make(chan struct{}) // A's playback never advances
	srcB := audiotest.NewSource(nil)
	srcB.Ticks = make(chan struct{})
	sinkB := audiotest.NewSink()
	sinkB.Ticks = playB

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx, srcA, sinkA) }()
	go func() { done <- b.Run(ctx, srcB, sinkB) }()

	const n = 50
	for i := 0; i < n; i++ {
		capA <- struct{}{}
		waitFor(t, "packet at B", func() bool { return b.Stats().Received == uint64(i+1) })
		playB <- struct{}{}
		if _, err := sinkB.WaitFrames(ctx, i+1); err != nil {
			t.Fatal(err)
		}
	}
	got := sinkB.Samples()
	if peak := maxAbs(got[len(got)-frameLen:]); peak < 5000 {
		t.Errorf("B plays peak %d, want the 6000 tone", peak)
	}
	// Hold: A stops sending while its capture keeps running.
	na.Direction = RecvOnly
	a.Start(context.Background(), na)
	for i := 0; i < 5; i++ {
		capA <- struct{}{}
	}
	waitFor(t, "held frames read", func() bool { return srcA.Reads() >= n+4 })
	if st := a.Stats(); st.Sent != n {
		t.Errorf("sent %d packets on hold, want %d", st.Sent, n)
	}
	cancel()
	for i := 0; i < 2; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v on cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func maxAbs(x []int16) int {
	m := 0
	for _, v := range x {
		m = max(m, int(v), -int(v))
	}
	return m
}

// TestRunErrors: a failing sink ends Run with its error; a source that
// ends (io.EOF) stops sending but not playout.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	s := listen(t, testConfig(), Options{})
	s.Start(context.Background(), pcmuNeg(netip.MustParseAddrPort("127.0.0.1:9")))
	boom := errors.New("device unplugged")
	sink := audiotest.NewSink()
	sink.Err = boom
	src := audiotest.NewSource(nil)
	src.Ticks = make(chan struct{})
	if err := s.Run(context.Background(), src, sink); !errors.Is(err, boom) {
		t.Errorf("Run with a failing sink: %v", err)
	}
	ended := audiotest.NewSource(tone(300, 1000, 0, 3*frameLen)) // ends after 3 frames
	play := make(chan struct{})
	sink2 := audiotest.NewSink()
	sink2.Ticks = play
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ended, sink2) }()
	waitFor(t, "source drained", func() bool { return ended.Reads() == 3 })
	for i := 0; i < 5; i++ { // playout goes on after the source ended
		play <- struct{}{}
	}
	if _, err := sink2.WaitFrames(ctx, 5); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after source EOF and cancel: %v", err)
	}
}

// TestRunLoopReceives (issue 16): with Options.LoopReceives the call's
// one loop takes the received RTP on its frame tick: no reader goroutine
// runs, every packet A sends reaches B's jitter buffer and B plays the
// tone; when Run returns before Close, the reader goroutine takes over.
func TestRunLoopReceives(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{LoopReceives: true})
	a.Start(context.Background(), pcmuNeg(b.LocalAddr()))
	b.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	capA, playB := make(chan struct{}), make(chan struct{})
	srcA := audiotest.NewSource(tone(600, 6000, 0, 100*frameLen))
	srcA.Ticks = capA
	sinkB := audiotest.NewSink()
	sinkB.Ticks = playB
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx, srcA, audiotest.NewSink()) }()
	go func() { done <- b.Run(ctx, audiotest.NewSource(nil), sinkB) }()

	const n = 20
	for i := 0; i < n; i++ {
		capA <- struct{}{}
		waitFor(t, "A sent", func() bool { return a.Stats().Sent == uint64(i+1) })
		playB <- struct{}{} // B's next frame takes what arrived
	}
	for frames := 0; b.Stats().Received < n; frames++ {
		if frames > 1000 {
			t.Fatalf("B received %d of %d packets", b.Stats().Received, n)
		}
		playB <- struct{}{}
	}
	b.mu.Lock()
	reading := b.reading
	b.mu.Unlock()
	if reading {
		t.Error("a reader goroutine runs beside the loop")
	}
	for peak := 0; peak < 5000; {
		playB <- struct{}{}
		got := sinkB.Samples()
		peak = maxAbs(got[len(got)-frameLen:])
		if len(got) > 200*frameLen {
			t.Fatalf("B never played the 6000 tone (last peak %d)", peak)
		}
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Run returned %v on cancel", err)
		}
	}
	// Run is over, the session is not closed: the reader receives.
	before := b.Stats().Received
	ctx2, cancel2 := context.WithCancel(context.Background())
	srcA2 := audiotest.NewSource(tone(600, 6000, 0, 3*frameLen))
	sinkA2 := audiotest.NewSink()
	sinkA2.Ticks = make(chan struct{}) // A stops after its three frames
	go func() { done <- a.Run(ctx2, srcA2, sinkA2) }()
	waitFor(t, "B receiving without its loop", func() bool { return b.Stats().Received >= before+1 })
	cancel2()
	<-done
}
