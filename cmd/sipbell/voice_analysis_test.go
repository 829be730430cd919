package main

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/g711"
)

// ulawPath passes x through a G.711 µ-law encoder and decoder, as one
// hop of a call does.
func ulawPath(x []int16) []int16 {
	enc := make([]byte, len(x))
	g711.EncodeUlaw(enc, x)
	out := make([]int16, len(x))
	g711.DecodeUlaw(out, enc)
	return out
}

// callLike is what a receiver records of a clean call: 0.3 s of silence
// (call setup), then the signal coded by G.711, starting mid-cycle.
func callLike(cycles int) []int16 {
	sig := voiceSignal(cycles)[3001:]
	return append(make([]int16, 2400), ulawPath(sig)...)
}

// TestAnalyseVoiceCatchesFaults proves the voice check can fail: it
// passes a clean G.711 path and one with two isolated stalls (what a
// loaded machine does), and rejects each kind of media bug.
func TestAnalyseVoiceCatchesFaults(t *testing.T) {
	t.Parallel()
	ref := voiceCycle()
	frames := func(x []int16) int { return len(x) / voiceFrame }
	tests := []struct {
		name string
		mod  func([]int16) []int16
		pass bool
	}{
		{"clean G.711", func(x []int16) []int16 { return x }, true},
		{"two stalls (silence, then audio goes on later)", func(x []int16) []int16 {
			out := append([]int16(nil), x[:20000]...)
			out = append(out, make([]int16, 800)...) // 100 ms nothing
			out = append(out, x[20800:50000]...)
			out = append(out, make([]int16, 1600)...)
			return append(out, x[50000+800:]...) // a burst caught up part of it
		}, true},
		{"PCMA decoded as PCMU (wrong codec)", func(x []int16) []int16 {
			sig := voiceSignal(5)[3001:]
			enc := make([]byte, len(sig))
			g711.EncodeAlaw(enc, sig)
			out := make([]int16, len(sig))
			g711.DecodeUlaw(out, enc)
			return append(make([]int16, 2400), out...)
		}, false},
		{"a frame dropped every second", func(x []int16) []int16 {
			var out []int16
			for f := 0; f < frames(x); f++ {
				if f%50 != 49 {
					out = append(out, x[f*voiceFrame:(f+1)*voiceFrame]...)
				}
			}
			return out
		}, false},
		{"frames swapped every 1.5 s (reordering)", func(x []int16) []int16 {
			out := append([]int16(nil), x...)
			for f := 20; f+1 < frames(x); f += 75 {
				a, b := out[f*voiceFrame:(f+1)*voiceFrame], out[(f+1)*voiceFrame:(f+2)*voiceFrame]
				tmp := append([]int16(nil), a...)
				copy(a, b)
				copy(b, tmp)
			}
			return out
		}, false},
		{"a click every 1.2 s", func(x []int16) []int16 {
			out := append([]int16(nil), x...)
			for i := 3000; i < len(out); i += 9600 {
				out[i] = 30000
			}
			return out
		}, false},
		{"6 dB too quiet (a gain bug)", func(x []int16) []int16 {
			out := make([]int16, len(x))
			for i, v := range x {
				out[i] = v / 2
			}
			return out
		}, false},
		{"audio dies after 4 s", func(x []int16) []int16 {
			out := append([]int16(nil), x...)
			clear(out[2400+32000:])
			return out
		}, false},
		{"a concealed (silent) frame every 1.4 s", func(x []int16) []int16 {
			out := append([]int16(nil), x...)
			for f := 30; f < frames(x); f += 70 {
				clear(out[f*voiceFrame : (f+1)*voiceFrame])
			}
			return out
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := analyseVoice(ref, tc.mod(callLike(5)))
			why := voiceOK(rep, 9*time.Second) // of 10 s of signal
			t.Logf("%s: %s", rep, why)
			if tc.pass && why != "" {
				t.Errorf("rejected a good recording: %s", why)
			}
			if !tc.pass && why == "" {
				t.Errorf("accepted a faulty recording")
			}
		})
	}
}
