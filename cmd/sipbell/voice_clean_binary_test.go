package main

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 18: noise suppression and AGC on the door's microphone, in the
// binary. The microphone is a WAV recording of a visitor standing back
// from the door (espeak-ng speech at -36 dBFS) in street noise (about
// 8 dB below); bob (a real baresip) calls the door through Kamailio and
// records what he hears. The suppressor widens the gap between the
// speech and the pauses at bob; the AGC lifts the visitor's voice.

// visitorWAV writes the visitor's recording (20 s) to dir and returns its
// path.
func visitorWAV(t *testing.T, dir string) string {
	t.Helper()
	bin := requireTool(t, "espeak-ng", "espeak-ng")
	f := filepath.Join(dir, "speech.wav")
	text := "Hello, is anybody home? I have a parcel for you. Could you open the door please? " +
		"It is quite heavy. Hello? Thank you very much, have a nice day."
	if b, err := exec.Command(bin, "-v", "en-us", "-s", "140", "-w", f, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	src, err := wav.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var speech []int16
	buf := make([]int16, 160)
	for {
		if err := src.Read(context.Background(), buf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		speech = append(speech, buf...)
	}
	out := make([]int16, 20*8000)
	var sum float64
	var n int
	for _, v := range speech {
		if v != 0 {
			sum += float64(v) * float64(v)
			n++
		}
	}
	k := 32768 * math.Pow(10, -36.0/20) / math.Sqrt(sum/float64(n))
	r := rand.New(rand.NewPCG(18, 3))
	noise := 32768 * math.Pow(10, -44.0/20)
	var lp float64
	for i := range out {
		w := r.NormFloat64()
		lp = 0.9*lp + 0.1*w
		v := noise * (2.2*lp + 0.3*w)
		if j := i - 8000; j >= 0 && j < len(speech) {
			v += k * float64(speech[j])
		} else if j >= len(speech) {
			v += k * float64(speech[(j-len(speech))%len(speech)])
		}
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	p := filepath.Join(dir, "mic.wav")
	if err := os.WriteFile(p, interop.EncodeWAV(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// frameLevels returns the 10th and 90th percentile of x's 20 ms frame
// power, in dB.
func frameLevels(x []int16) (p10, p90 float64) {
	var ps []float64
	for off := 0; off+160 <= len(x); off += 160 {
		var s float64
		for _, v := range x[off : off+160] {
			s += float64(v) * float64(v)
		}
		ps = append(ps, 10*math.Log10(max(s/160, 1e-3)))
	}
	slices.Sort(ps)
	return ps[len(ps)/10], ps[len(ps)*9/10]
}

// cleanCall has bob call the door with audio cfg (YAML lines under
// audio:) and returns the 10th and 90th percentile frame levels of what
// he heard, from the third second on.
func cleanCall(t *testing.T, audioCfg string) (p10, p90 float64) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	mic := visitorWAV(t, dir)
	k, bob := startBob(t)
	p := startVoice(t, bobDoorConfig(k, "  capture: "+mic+"\n"+audioCfg), nil)
	bobCallsDoor(ctx, t, k, bob)
	heard := bobHangsUp(ctx, t, p, bob, 44+2*14*8000)
	rec := readWAV(t, heard)
	return frameLevels(rec[2*8000 : 14*8000])
}

// TestNoiseAndGainInTheBinary: with audio.noise_suppression.microphone the
// speech stands at least 5 dB further above the pauses at bob than
// without; with audio.agc.microphone the visitor's voice reaches him at
// least 8 dB louder.
func TestNoiseAndGainInTheBinary(t *testing.T) {
	t.Parallel()
	type levels struct{ p10, p90 float64 }
	var mu sync.Mutex
	res := map[string]levels{}
	cases := []struct{ name, cfg string }{
		{"off", ""},
		{"noise_suppression", "  noise_suppression:\n    microphone: true\n"},
		{"agc", "  agc:\n    microphone: true\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p10, p90 := cleanCall(t, tc.cfg)
			t.Logf("%s: bob hears pauses at %.1f dB, speech at %.1f dB (range %.1f dB)", tc.name, p10, p90, p90-p10)
			mu.Lock()
			res[tc.name] = levels{p10, p90}
			mu.Unlock()
		})
	}
	t.Cleanup(func() { // after the subtests
		mu.Lock()
		defer mu.Unlock()
		off, ns, agc := res["off"], res["noise_suppression"], res["agc"]
		if len(res) != len(cases) {
			return
		}
		if gain := (ns.p90 - ns.p10) - (off.p90 - off.p10); gain < 5 {
			t.Errorf("noise suppression widened speech over pauses by %.1f dB, want at least 5", gain)
		}
		if lift := agc.p90 - off.p90; lift < 8 {
			t.Errorf("the AGC lifted the visitor's voice by %.1f dB, want at least 8", lift)
		}
	})
}
