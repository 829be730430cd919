package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCallMediaCaptureInLoopBinary (issue 16): with noise suppression
// and AGC on the microphone, a door call's microphone frames are taken by
// the call's one loop (the speaker's wake-up) through the chain, without
// a capture goroutine of their own (the echo canceller's microphone keeps
// one: aec's echoSource.CanTryRead says why):
// bob hears the visitor, and the goroutine dump the binary prints on
// SIGQUIT during the call shows the loop attached and no sendLoop.
// (Before: the chain's wrappers hid the microphone's
// TryRead, so the capture kept a goroutine woken every frame. A sound
// card's TryRead is checked on a real kernel: scripts/alsa-kernel-test.sh.)
func TestCallMediaCaptureInLoopBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	mic := visitorWAV(t, dir)
	k, bob := startBob(t)
	p := startVoice(t, bobDoorConfig(k, "  capture: "+mic+"\n  playback: "+filepath.Join(dir, "speaker.wav")+`
  noise_suppression:
    microphone: true
  agc:
    microphone: true
`), nil)
	p.await(ctx, t, "door station ready", nil, 1)
	bobCallsDoor(ctx, t, k, bob)
	heard := waitGlob(ctx, t, filepath.Join(bob.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, 44+2*4*8000, "bob's recording")
	if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatal("sipbell did not exit on SIGQUIT")
	}
	stacks := goroutineStacks(p.log())
	if !anyStack(stacks, "media.(*feeder).play") {
		t.Error("no call loop attached to the speaker during the call")
	}
	if anyStack(stacks, "media.(*Session).sendLoop") {
		t.Error("the microphone has a goroutine of its own: the loop does not take its frames")
	}
	rec := readWAV(t, heard)
	if _, p90 := frameLevels(rec[8000:]); p90 < 40 {
		t.Errorf("bob heard the visitor at %.1f dB (90th percentile frame), want >= 40: the microphone's frames did not reach him", p90)
	}
}
