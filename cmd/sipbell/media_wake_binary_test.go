package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestCallMediaWakeBinary (issue 16): in a call of the sipbell binary
// with baresip, the WAV stand-ins' speaker waits for its next frame on a
// timerfd through the network poller (audio.fdSleep), not on a runtime
// timer, and its recording is written by a goroutine of its own
// (wav.(*Sink).writer), not in the frame's path: the goroutine dump
// SIGQUIT prints shows both. (Before: the speaker's timer and the file
// write of every frame woke the runtime's sysmon thread 50 times a
// second, about 300 context switches per second.)
func TestCallMediaWakeBinary(t *testing.T) {
	t.Parallel()
	v := startVoiceDoor(t, interop.BaresipOptions{User: "alice"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v.dialDoor(ctx, t)
	v.recorded(ctx, t, 2)
	p := v.p
	if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatal("sipbell did not exit on SIGQUIT")
	}
	stacks := goroutineStacks(p.log())
	if len(stacks) == 0 {
		t.Fatal("no goroutine dump after SIGQUIT")
	}
	if !anyStack(stacks, "wav.(*Sink).writer") {
		t.Error("no goroutine writes the speaker's WAV file: the frame's path writes it")
	}
	for _, s := range stacks {
		if strings.Contains(s, "main.(*speaker).run") && strings.Contains(s, "audio.systemClock.WaitUntil") &&
			!strings.Contains(s, "audio.fdSleep") {
			t.Errorf("the speaker waits for its frame on a runtime timer:\n%s", s)
		}
	}
}
