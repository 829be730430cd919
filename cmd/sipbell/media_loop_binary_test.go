package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestCallMediaOneLoopBinary (issue 16): in a call of the sipbell
// binary with baresip, audio flowing both ways, the call's media is one
// loop run by the speaker once per frame: the goroutine dump the Go
// runtime prints on SIGQUIT shows the call's Run waiting on its attached
// feed and no goroutine of its own that sends, plays, reads RTP or
// pushes frames to the speaker, nor an RTCP timer (the control goroutine
// waits, parked, for the loop to end). (Before: a capture
// goroutine, a playout goroutine and the speaker each woke every 20 ms.)
func TestCallMediaOneLoopBinary(t *testing.T) {
	t.Parallel()
	stacks := callStacks(t)
	for _, want := range []string{"media.(*feeder).play", "main.(*speaker).run"} {
		if !anyStack(stacks, want) {
			t.Errorf("no goroutine in %s during the call", want)
		}
	}
	for _, bad := range []string{"media.(*Session).sendLoop", "media.(*Session).playLoop",
		"media.(*Session).readRTP", "main.speakerSink.Write", "media.(*Session).controlTimer"} {
		if anyStack(stacks, bad) {
			t.Errorf("a goroutine runs %s: the call's media is not one loop", bad)
		}
	}
}

// callStacks: baresip calls the sipbell binary, both record 2 s of the
// call's audio, then sipbell gets SIGQUIT; it returns the goroutines of
// the dump the Go runtime prints then, during the call.
func callStacks(t *testing.T) []string {
	t.Helper()
	v := startVoiceDoor(t, interop.BaresipOptions{User: "alice"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v.dialDoor(ctx, t)
	v.recorded(ctx, t, 2)
	if err := v.p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.p.done:
	case <-ctx.Done():
		t.Fatal("sipbell did not exit on SIGQUIT")
	}
	stacks := goroutineStacks(v.p.log())
	if len(stacks) == 0 {
		t.Fatal("no goroutine dump after SIGQUIT")
	}
	return stacks
}

// goroutineStacks splits a Go traceback dump into its goroutines.
func goroutineStacks(dump string) []string {
	var out []string
	for _, block := range strings.Split(dump, "\n\n") {
		if strings.HasPrefix(strings.TrimSpace(block), "goroutine ") {
			out = append(out, block)
		}
	}
	return out
}

// anyStack reports whether a stack in stacks mentions fn.
func anyStack(stacks []string, fn string) bool {
	for _, s := range stacks {
		if strings.Contains(s, fn) {
			return true
		}
	}
	return false
}
