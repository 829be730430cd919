package main

import (
	"strings"
	"testing"
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
	stacks := callStacks(t)
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
