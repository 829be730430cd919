package media

import (
	"context"
	"math"
	"testing"

	"github.com/sipbell/sipbell/audio/audiotest"
)

// runPair runs A's capture of signal (at rateA) through Run to B's
// playback (at rateB), frames clocked by the test, and returns what B
// played and B's events so far.
func runPair(t *testing.T, codec Codec, rateA, rateB int, signal []int16) ([]int16, []Event) {
	t.Helper()
	a := listen(t, testConfig(), Options{AudioRate: rateA})
	b := listen(t, testConfig(), Options{AudioRate: rateB})
	na, nb := pcmuNeg(b.LocalAddr()), pcmuNeg(a.LocalAddr())
	na.Codec, nb.Codec = codec, codec
	a.Start(context.Background(), na)
	b.Start(context.Background(), nb)
	capA, playB := make(chan struct{}), make(chan struct{})
	srcA := audiotest.NewSource(signal)
	srcA.Ticks = capA
	sinkA := audiotest.NewSink()
	sinkA.Ticks = make(chan struct{})
	srcB := audiotest.NewSource(nil)
	srcB.Ticks = make(chan struct{})
	sinkB := audiotest.NewSink()
	sinkB.Ticks = playB
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx, srcA, sinkA) }()
	go func() { done <- b.Run(ctx, srcB, sinkB) }()
	n := len(signal) / (rateA / 50)
	for i := range n {
		capA <- struct{}{}
		waitFor(t, "packet at B", func() bool { return b.Stats().Received == uint64(i+1) })
		playB <- struct{}{}
		if _, err := sinkB.WaitFrames(ctx, i+1); err != nil {
			t.Fatal(err)
		}
	}
	var evs []Event
	for len(b.Events()) > 0 {
		evs = append(evs, <-b.Events())
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	for _, f := range sinkB.Frames() {
		if len(f) != rateB/50 {
			t.Fatalf("B played a frame of %d samples, want %d", len(f), rateB/50)
		}
	}
	return sinkB.Samples(), evs
}

// TestG722RunAudioRates: Run at 16 kHz devices over G.722 carries 5.5 and
// 6.5 kHz; devices at 8 kHz or a G.711 codec on the way do not (the
// session resamples between the devices' rate and the codec's).
func TestG722RunAudioRates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		codec        Codec
		rateA, rateB int
		wide         bool
	}{
		{"G722 16k to 16k", Codec{G722, 9}, 16000, 16000, true},
		{"PCMU 16k to 16k", Codec{PCMU, 0}, 16000, 16000, false},
		{"G722 8k capture", Codec{G722, 9}, 8000, 16000, false},
		{"G722 to 8k playback", Codec{G722, 9}, 16000, 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := runPair(t, tc.codec, tc.rateA, tc.rateB, wideSignal(tc.rateA, 0, 40*tc.rateA/50))
			fl := tc.rateB / 50
			rx := got[len(got)-25*fl : len(got)-5*fl]
			l1 := levelAt(rx, 1000, tc.rateB)
			l55, l65 := 0.0, 0.0
			if tc.rateB == 16000 {
				l55, l65 = levelAt(rx, 5500, tc.rateB), levelAt(rx, 6500, tc.rateB)
			}
			t.Logf("1 kHz %.0f, 5.5 kHz %.0f, 6.5 kHz %.0f", l1, l55, l65)
			if l1 < 2500 {
				t.Errorf("1 kHz at %.0f, sent at 5000", l1)
			}
			if carried := l55 > l1/2 && l65 > l1/2; carried != tc.wide {
				t.Errorf("5.5/6.5 kHz carried = %v, want %v", carried, tc.wide)
			}
		})
	}
}

// TestG722InbandDTMF: a door code keyed in-band in a G.722 call is heard
// by the 16 kHz detector in B's playout.
func TestG722InbandDTMF(t *testing.T) {
	t.Parallel()
	const sr = 16000
	sig := make([]int16, 30*sr/50)
	for i := 5 * sr / 50; i < 10*sr/50; i++ { // '5': 770 + 1336 Hz for 100 ms
		x := float64(i) / sr
		sig[i] = int16(6000 * (math.Sin(2*math.Pi*770*x) + math.Sin(2*math.Pi*1336*x)))
	}
	_, evs := runPair(t, Codec{G722, 9}, sr, sr, sig)
	if len(evs) != 1 || evs[0].Kind != EventDTMF || evs[0].Digit != '5' || evs[0].Source != DTMFInband {
		t.Fatalf("events %+v, want one in-band '5'", evs)
	}
}
