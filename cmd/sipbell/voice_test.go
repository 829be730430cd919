package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 5's proofs at the level of the whole sipbell binary, against a
// real baresip on loopback: audio quality both ways and in both call
// directions (this file), DTMF both ways (voice_dtmf_test.go), and the
// jitter buffer behind an impaired network (voice_netem_test.go).

// voiceSeconds is how much audio each side records before the call ends:
// enough steady audio (≈8 s) for the analysis to find a faithful 3 s run
// even when a stall or two broke the rest (see analyseVoice).
const voiceSeconds = 9

// wavBytes is the size of a WAV recording holding seconds of 8 kHz audio.
func wavBytes(seconds int) int64 { return 44 + int64(seconds)*8000*2 }

// voiceConfig is sipbell's configuration for a voice test: its
// microphone plays mic, its speaker records into speaker.
func voiceConfig(mic, speaker, extra string) string {
	return "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n" +
		"audio:\n  capture: " + mic + "\n  playback: " + speaker + "\n" + extra
}

// judgeVoice analyses one direction's recording against the signal.
// call is how long the call carried audio (established to hang-up).
func judgeVoice(t *testing.T, direction, path string, call time.Duration) {
	t.Helper()
	rep := analyseVoice(voiceCycle(), readWAV(t, path))
	t.Logf("%s: %s", direction, rep)
	// The steady part skips 0.5 s of settling and 0.2 s at the end; allow
	// 1.8 s more for the first packet and the jitter buffer's fill, or a
	// stall at the start: audio that stops early still falls short.
	if why := voiceOK(rep, call-2500*time.Millisecond); why != "" {
		t.Errorf("%s: %s", direction, why)
	}
}

// voiceDoor is a voice test's sipbell and the baresip at the other end
// of its call: both microphones play the test signal, sipbell's speaker
// records into speaker, baresip's into its RecordDir.
type voiceDoor struct {
	p       *voiceProc
	b       *interop.Baresip
	speaker string
}

// startVoiceDoor starts baresip with opts and sipbell configured by
// voiceConfig with extra, which device makes from baresip (nil: none).
func startVoiceDoor(t *testing.T, opts interop.BaresipOptions, device func(b *interop.Baresip) string) *voiceDoor {
	t.Helper()
	b := interop.StartBaresip(t, opts)
	b.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	extra := ""
	if device != nil {
		extra = device(b)
	}
	return &voiceDoor{p: startVoice(t, voiceConfig(mic, speaker, extra), nil), b: b, speaker: speaker}
}

// dialDoor has baresip call sipbell's UDP address and waits until both
// say the call is answered.
func (v *voiceDoor) dialDoor(ctx context.Context, t *testing.T) {
	t.Helper()
	addr := v.p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
	if _, err := v.b.Command(ctx, "dial", "sip:door@"+addr); err != nil {
		t.Fatal(err)
	}
	v.answered(ctx, t)
}

// answered waits until baresip and sipbell both say the call is up.
func (v *voiceDoor) answered(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := v.b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	v.p.await(ctx, t, "call answered", nil, 1)
}

// recorded waits until each side recorded seconds of the call and
// returns baresip's recording.
func (v *voiceDoor) recorded(ctx context.Context, t *testing.T, seconds int) string {
	t.Helper()
	waitFileSize(ctx, t, v.speaker, wavBytes(seconds), "sipbell's speaker")
	heard := waitGlob(ctx, t, filepath.Join(v.b.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, wavBytes(seconds), "baresip's recording")
	return heard
}

// judgeCall lets both sides of the answered call record voiceSeconds,
// has baresip hang up, waits for both ends and sipbell's exit (its
// speaker WAV is complete then) and judges the audio both ways.
func (v *voiceDoor) judgeCall(ctx context.Context, t *testing.T) {
	t.Helper()
	established := time.Now()
	heard := v.recorded(ctx, t, voiceSeconds)
	call := time.Since(established)
	if _, err := v.b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	v.p.await(ctx, t, "call ended", nil, 1)
	if err := v.b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	v.p.stop(ctx, t)
	judgeVoice(t, "baresip → sipbell", v.speaker, call)
	judgeVoice(t, "sipbell → baresip", heard, call)
}

// TestVoiceQualityBaresipCallsSipbell: baresip calls the sipbell binary;
// the known signal (four tones and a chirp, repeated) plays from both
// microphones; each side's recording of what it heard must be a
// faithful G.711 copy (see analyseVoice for the bar and why a stall on
// this machine cannot fail it but a media bug does).
func TestVoiceQualityBaresipCallsSipbell(t *testing.T) {
	t.Parallel()
	v := startVoiceDoor(t, interop.BaresipOptions{User: "alice"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v.dialDoor(ctx, t)
	v.judgeCall(ctx, t)
}

// TestVoiceQualitySipbellCallsBaresip: a visitor presses call button 1
// of the simulated board (the binary's terminal); sipbell calls the
// button's target, an auto-answering baresip; the same signal must
// arrive faithfully both ways.
func TestVoiceQualitySipbellCallsBaresip(t *testing.T) {
	t.Parallel()
	v := startVoiceDoor(t, interop.BaresipOptions{User: "alice", AutoAnswer: true}, func(b *interop.Baresip) string {
		return fmt.Sprintf("device:\n  buttons:\n    - targets: [%q]\n", b.URI)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v.p.await(ctx, t, "door station ready", nil, 1)
	v.p.press(t, 1)
	v.answered(ctx, t)
	v.judgeCall(ctx, t)
}
