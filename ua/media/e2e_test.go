package media

import (
	"context"
	"math"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
	"github.com/sipbell/sipbell/internal/netrelay"
)

var e2eTones = []float64{500, 900, 1300, 1700, 2100, 2500}

const (
	e2eAmp        = 10000
	e2eToneFrames = 10 // 200 ms per tone
	e2eChirpSec   = 1.0
)

// e2eSignal returns the test signal: the tones in order, then a linear
// chirp from 300 to 3400 Hz.
func e2eSignal() []int16 {
	var s []int16
	for i, f := range e2eTones {
		s = append(s, tone(f, e2eAmp, i*e2eToneFrames*frameLen, e2eToneFrames*frameLen)...)
	}
	n := int(e2eChirpSec * 8000)
	phase := 0.0
	for i := 0; i < n; i++ {
		f := 300 + (3400-300)*float64(i)/float64(n)
		phase += 2 * math.Pi * f / 8000
		s = append(s, int16(e2eAmp*math.Sin(phase)))
	}
	return s
}

// goertzel returns the power of x at freq.
func goertzel(x []int16, freq float64) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func rms(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(x)))
}

type e2eResult struct {
	order      []int   // tone index per frame, in order of appearance
	maxGap     int     // longest run of near-silent frames inside the signal
	medianSNR  float64 // dB, per-frame aligned against the sent signal
	chirpRises bool
}

// analyse aligns the received audio with the sent signal frame by frame.
func analyse(t *testing.T, ref, rx []int16) e2eResult {
	var res e2eResult
	start := -1
	for i := 0; i+frameLen <= len(rx); i += frameLen {
		if rms(rx[i:i+frameLen]) > e2eAmp/10 {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatal("no audio received")
	}
	frames := len(ref) / frameLen
	if start+len(ref) > len(rx) {
		t.Fatalf("received %d samples from %d, need %d", len(rx), start, len(ref))
	}
	gap := 0
	var snrs []float64
	off := 0 // rx index - ref index, searched around the previous value
	first := true
	for k := 0; k < frames; k++ {
		p := start + k*frameLen
		fr := rx[p : p+frameLen]
		if rms(fr) < e2eAmp/20 {
			gap++
			res.maxGap = max(res.maxGap, gap)
		} else {
			gap = 0
		}
		if k < len(e2eTones)*e2eToneFrames {
			best, bi := 0.0, -1
			for i, f := range e2eTones {
				if g := goertzel(fr, f); g > best {
					best, bi = g, i
				}
			}
			if n := len(res.order); bi >= 0 && (n == 0 || res.order[n-1] != bi) {
				res.order = append(res.order, bi)
			}
		}
		lo, hi := off-480, off+480
		if first {
			lo, hi = start-frameLen*4, start+frameLen
		}
		bestC, bestO := math.Inf(-1), off
		for o := lo; o <= hi; o++ {
			q := p - o
			if q < 0 || q+frameLen > len(ref) {
				continue
			}
			var xy, yy float64
			for i, v := range fr {
				r := float64(ref[q+i])
				xy += float64(v) * r
				yy += r * r
			}
			if yy > 0 && xy/math.Sqrt(yy) > bestC {
				bestC, bestO = xy/math.Sqrt(yy), o
			}
		}
		off, first = bestO, false
		if q := p - off; q >= 0 && q+frameLen <= len(ref) {
			var sig, noise float64
			for i, v := range fr {
				r := float64(ref[q+i])
				sig += r * r
				noise += (float64(v) - r) * (float64(v) - r)
			}
			snrs = append(snrs, 10*math.Log10(sig/max(noise, 1)))
		}
	}
	sort.Float64s(snrs)
	res.medianSNR = snrs[len(snrs)/2]
	// The chirp's zero-crossing rate must rise from its first to its last quarter.
	cs := start + len(e2eTones)*e2eToneFrames*frameLen
	n := int(e2eChirpSec * 8000)
	zc := func(x []int16) int {
		c := 0
		for i := 1; i < len(x); i++ {
			if (x[i] >= 0) != (x[i-1] >= 0) {
				c++
			}
		}
		return c
	}
	res.chirpRises = zc(rx[cs+3*n/4:cs+n]) > zc(rx[cs:cs+n/4])*2
	return res
}

// runThroughRelay plays the signal from session A to session B through
// an impairing relay on virtual time: each 20 ms step, A's capture device
// ticks (Run sends the frame), the clocks and the relay advance 20 ms (due
// packets reach B) and B's playout takes one frame. Nothing depends on
// the scheduler, so the impairments are exactly the seeded ones.
func runThroughRelay(t *testing.T, imp netrelay.Impairment) ([]int16, netrelay.DirStats, Stats) {
	clkA, clkB := newManualClock(), newManualClock()
	a, b := listen(t, testConfig(), Options{Clock: clkA}), listen(t, testConfig(), Options{Clock: clkB})
	relay, err := netrelay.New(netrelay.Config{AtoB: imp, Seed: 1, Manual: true}, a.LocalAddr(), b.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	dead := netip.MustParseAddrPort("127.0.0.1:9")
	na, nb := pcmuNeg(relay.AddrForA()), pcmuNeg(relay.AddrForB())
	na.RemoteRTCP, nb.RemoteRTCP = dead, dead
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Start(ctx, na)
	b.Start(ctx, nb)

	src := e2eSignal()
	capA := make(chan struct{})
	srcA := audiotest.NewSource(src)
	srcA.Ticks = capA
	sinkA := audiotest.NewSink()
	sinkA.Ticks = make(chan struct{}) // A's playback is not under test
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx, srcA, sinkA) }()

	total := len(src) / frameLen
	out := make([]int16, frameLen)
	var rx []int16
	for k := 0; k < total+25; k++ { // 25 more steps drain delay and jitter buffer
		if k < total {
			capA <- struct{}{}
			waitFor(t, "A's packet at the relay", func() bool { st, _ := relay.Stats(); return st.Received == k+1 })
		}
		clkA.Advance(audio.FrameDuration)
		clkB.Advance(audio.FrameDuration)
		relay.Advance(audio.FrameDuration)
		st, _ := relay.Stats()
		waitFor(t, "B to receive what was delivered", func() bool { return b.Stats().Received == uint64(st.Forwarded) })
		b.ReadFrame(out)
		rx = append(rx, out...)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("A's Run: %v", err)
	}
	if sent := a.Stats().Sent; sent != uint64(total) {
		t.Errorf("A sent %d packets, want %d", sent, total)
	}
	st, _ := relay.Stats()
	return rx, st, b.Stats()
}

// TestEndToEndThroughRelay: two sessions, a known multi-tone signal and a
// chirp, over a clean and an impaired network.
func TestEndToEndThroughRelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		imp    netrelay.Impairment
		minSNR float64
	}{
		{"clean", netrelay.Impairment{Delay: 10 * time.Millisecond}, 35},
		{"impaired", netrelay.Impairment{Delay: 20 * time.Millisecond, Jitter: 40 * time.Millisecond,
			Loss: 0.05, Duplicate: 0.03, Reorder: 0.03}, 34},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rx, relayStats, st := runThroughRelay(t, tc.imp)
			res := analyse(t, e2eSignal(), rx)
			t.Logf("%s: relay %+v; B %+v; tone order %v, max gap %d frames, median SNR %.1f dB",
				tc.name, relayStats, st, res.order, res.maxGap, res.medianSNR)
			want := []int{0, 1, 2, 3, 4, 5}
			if len(res.order) != len(want) {
				t.Errorf("tones heard in order %v, want %v", res.order, want)
			} else {
				for i := range want {
					if res.order[i] != want[i] {
						t.Errorf("tones heard in order %v, want %v", res.order, want)
						break
					}
				}
			}
			if res.maxGap > 1 {
				t.Errorf("audio gap of %d frames", res.maxGap)
			}
			if !res.chirpRises {
				t.Error("chirp does not rise")
			}
			if res.medianSNR < tc.minSNR {
				t.Errorf("median SNR %.1f dB < %.0f (G.711 gives ~38)", res.medianSNR, tc.minSNR)
			}
			if tc.imp.Loss > 0 && (relayStats.Dropped == 0 || relayStats.Duplicated == 0 || relayStats.Reordered == 0) {
				t.Errorf("seeded impairments did not all happen: %+v", relayStats)
			}
			if st.Lost != int64(relayStats.Dropped) || st.Duplicate != uint64(relayStats.Duplicated) {
				t.Errorf("B counted lost %d dup %d, relay dropped %d duplicated %d",
					st.Lost, st.Duplicate, relayStats.Dropped, relayStats.Duplicated)
			}
		})
	}
}
