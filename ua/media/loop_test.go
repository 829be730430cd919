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
