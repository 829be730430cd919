package audio_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// timerfds counts the process's open timerfds.
func timerfds(t *testing.T) int {
	t.Helper()
	links, err := filepath.Glob("/proc/self/fd/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range links {
		if dst, err := os.Readlink(l); err == nil && dst == "anon_inode:[timerfd]" {
			n++
		}
	}
	return n
}

// TestSystemClockFrameWaitOnTimerfd (issue 16): a frame's wait on the
// real clock sleeps on a timerfd through the network poller (no runtime
// timer, which woke the runtime's sysmon thread every frame), on at most
// a few timerfds however many waits there are, also concurrent ones; a
// long wait still ends as soon as its context does.
func TestSystemClockFrameWaitOnTimerfd(t *testing.T) {
	clk := audio.SystemClock()
	ctx := context.Background()
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 5 {
				if err = clk.WaitUntil(ctx, clk.Now().Add(2*time.Millisecond)); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := timerfds(t); n == 0 || n > 4 {
		t.Errorf("%d timerfds open after 40 frame waits, want 1 to 4", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- clk.WaitUntil(cctx, clk.Now().Add(time.Hour)) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("an hour's wait whose context ended returned %v, want context.Canceled", err)
	}
}
