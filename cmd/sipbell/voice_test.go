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

// TestVoiceQualityBaresipCallsSipbell: baresip calls the sipbell binary;
// the known signal (four tones and a chirp, repeated) plays from both
// microphones; each side's recording of what it heard must be a
// faithful G.711 copy (see analyseVoice for the bar and why a stall on
// this machine cannot fail it but a media bug does).
func TestVoiceQualityBaresipCallsSipbell(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice"})
	b.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, voiceConfig(mic, speaker, ""), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)

	if _, err := b.Command(ctx, "dial", "sip:door@"+addr); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	established := time.Now()
	waitFileSize(ctx, t, speaker, wavBytes(voiceSeconds), "sipbell's speaker")
	heard := waitGlob(ctx, t, filepath.Join(b.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, wavBytes(voiceSeconds), "baresip's recording")
	call := time.Since(established)
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.stop(ctx, t) // the speaker WAV is complete once sipbell has exited
	judgeVoice(t, "baresip → sipbell", speaker, call)
	judgeVoice(t, "sipbell → baresip", heard, call)
}

// TestVoiceQualitySipbellCallsBaresip: a visitor presses call button 1
// of the simulated board (the binary's terminal); sipbell calls the
// button's target, an auto-answering baresip; the same signal must
// arrive faithfully both ways.
func TestVoiceQualitySipbellCallsBaresip(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true})
	b.SetSource(t, voiceSignal(15))
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(15))
	p := startVoice(t, voiceConfig(mic, speaker, fmt.Sprintf("device:\n  buttons:\n    - targets: [%q]\n", b.URI)), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)

	p.press(t, 1)
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	established := time.Now()
	waitFileSize(ctx, t, speaker, wavBytes(voiceSeconds), "sipbell's speaker")
	heard := waitGlob(ctx, t, filepath.Join(b.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, wavBytes(voiceSeconds), "baresip's recording")
	call := time.Since(established)
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.stop(ctx, t)
	judgeVoice(t, "baresip → sipbell", speaker, call)
	judgeVoice(t, "sipbell → baresip", heard, call)
}
