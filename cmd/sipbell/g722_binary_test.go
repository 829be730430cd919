package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 18's wideband proof on the whole binary: a G.722 call with a real
// baresip (its g722 module) carries tones above 4 kHz both ways, in both
// call directions; the same call falling back to G.711 does not.

// wideTones returns seconds of 16 kHz audio: 1 kHz (the reference every
// codec carries) with 5.5 and 6.5 kHz, which only wideband carries.
func wideTones(seconds int) []int16 {
	x := make([]int16, 16000*seconds)
	for i := range x {
		t := float64(i) / 16000
		x[i] = int16(4000 * (math.Sin(2*math.Pi*1000*t) + math.Sin(2*math.Pi*5500*t) + math.Sin(2*math.Pi*6500*t)))
	}
	return x
}

// downsample returns 16 kHz audio at 8 kHz (what an 8 kHz source can
// hold of it).
func downsample(t *testing.T, x []int16) []int16 {
	t.Helper()
	r, err := audio.NewResampler(16000, 8000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(x)/2)
	if err := r.Frame(out, x); err != nil {
		t.Fatal(err)
	}
	return out
}

// readWAVNative returns a WAV file's samples at the file's own rate.
func readWAVNative(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := wav.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []int16
	buf := make([]int16, 4096)
	for {
		n, err := rd.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	return out, rd.Format().Rate
}

// toneLevel is the amplitude of freq in x sampled at rate (Goertzel). A
// frequency the rate cannot hold is looked for where it would fold to
// (6.5 kHz at 1.5 kHz in 8 kHz audio): what G.711 made of a tone it was
// given unfiltered.
func toneLevel(x []int16, freq float64, rate int) float64 {
	if freq >= float64(rate)/2 {
		freq = float64(rate) - freq
	}
	c := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return 2 * math.Sqrt(max(s1*s1+s2*s2-c*s1*s2, 0)) / float64(len(x))
}

// judgeWide reports the 1, 5.5 and 6.5 kHz levels of the steady middle
// of a recording and whether the high tones are there (each within 12 dB
// of the 1 kHz) or absent (each 30 dB or more below it).
func judgeWide(t *testing.T, what, path string, wide bool) {
	t.Helper()
	x, rate := readWAVNative(t, path)
	if len(x) < 4*rate {
		t.Fatalf("%s: %d samples at %d Hz, want 4 s", what, len(x), rate)
	}
	x = x[2*rate : 4*rate] // past the jitter buffer's fill
	l1, l55, l65 := toneLevel(x, 1000, rate), toneLevel(x, 5500, rate), toneLevel(x, 6500, rate)
	t.Logf("%s: recorded at %d Hz: 1 kHz %.0f, 5.5 kHz %.0f, 6.5 kHz %.0f (sent 4000 each)", what, rate, l1, l55, l65)
	if l1 < 1000 {
		t.Fatalf("%s: the 1 kHz reference arrived at %.0f of 4000", what, l1)
	}
	switch {
	case wide && (l55 < l1/4 || l65 < l1/4):
		t.Errorf("%s: 5.5/6.5 kHz did not arrive over G.722", what)
	case !wide && (l55 > l1/30 || l65 > l1/30):
		t.Errorf("%s: 5.5/6.5 kHz arrived over G.711", what)
	}
}

// TestG722WithBaresip: sipbell lists G722 first; baresip offers or
// answers with G722 (its g722 module) or, as the control, only G.711.
// Both sides play 1, 5.5 and 6.5 kHz; each side's recording must hold
// the high tones over G.722 and not over G.711. Door calls baresip (a
// button) and baresip calls the door. (In a G.711 call baresip's aufile
// source must be 8 kHz, so it plays the signal as 8 kHz can hold it: the
// control that counts there is sipbell's 16 kHz microphone reaching
// baresip without its high tones.)
func TestG722WithBaresip(t *testing.T) {
	t.Parallel()
	requireTool(t, "baresip", "baresip-core")
	if _, err := os.Stat("/usr/lib/baresip/modules/g722.so"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("baresip's g722 module is missing (Debian baresip): %v", err)
		}
		t.Skipf("baresip's g722 module is missing: %v", err)
	}
	for _, tc := range []struct {
		name, peerCodecs string
		doorCalls        bool
		codec            string
	}{
		{"G722 door calls", "G722/16000/1,PCMU,PCMA", true, "G722"},
		{"G722 baresip calls", "G722/16000/1,PCMU,PCMA", false, "G722"},
		{"G711 fallback door calls", "PCMU,PCMA", true, "PCMU"},
		{"G711 fallback baresip calls", "PCMU,PCMA", false, "PCMU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: tc.doorCalls, Codecs: tc.peerCodecs})
			if tc.codec == "G722" {
				b.SetSourceRate(t, wideTones(20), 16000)
			} else { // baresip's aufile plays only at the codec's rate
				b.SetSourceRate(t, downsample(t, wideTones(20)), 8000)
			}
			dir := t.TempDir()
			mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
			if err := os.WriteFile(mic, interop.EncodeWAVRate(wideTones(20), 16000), 0o644); err != nil {
				t.Fatal(err)
			}
			extra := "media:\n  codecs: [G722, PCMU, PCMA]\n"
			if tc.doorCalls {
				extra += fmt.Sprintf("device:\n  buttons:\n    - targets: [%q]\n", b.URI)
			}
			p := startVoice(t, voiceConfig(mic, speaker, extra), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			if tc.doorCalls {
				p.await(ctx, t, "door station ready", nil, 1)
				p.press(t, 1)
			} else {
				addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
				if _, err := b.Command(ctx, "dial", "sip:door@"+addr); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatalf("baresip: %v", err)
			}
			p.await(ctx, t, "call answered", nil, 1)
			p.await(ctx, t, "call codec", map[string]string{"codec": tc.codec}, 1)
			// 16 kHz at sipbell's speaker (its devices run wideband with
			// G722 listed); baresip records at the codec's rate.
			waitFileSize(ctx, t, speaker, 44+5*16000*2, "sipbell's speaker")
			heard := waitGlob(ctx, t, filepath.Join(b.RecordDir, "dump-*-dec.wav"))
			waitFileSize(ctx, t, heard, 44+5*8000*2*int64(map[string]int{"G722": 2, "PCMU": 1}[tc.codec]), "baresip's recording")
			if _, err := b.Command(ctx, "hangup", ""); err != nil {
				t.Fatal(err)
			}
			p.await(ctx, t, "call ended", nil, 1)
			if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
				t.Fatal(err)
			}
			p.stop(ctx, t)
			wide := tc.codec == "G722"
			judgeWide(t, "baresip → sipbell", speaker, wide)
			judgeWide(t, "sipbell → baresip", heard, wide)
		})
	}
}
