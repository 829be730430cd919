//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/alsa"
)

// pollCalls are the numbers of poll(2) and ppoll(2) by GOARCH.
var pollCalls = map[string][]int{"amd64": {7, 271}, "arm64": {73}, "arm": {168, 336}, "386": {168, 309}}

// sampleWaits looks every 10 ms until stop at the system call each thread
// of the process is in (/proc/self/task/*/syscall), and counts the looks
// that found one in poll(2)/ppoll(2) (issue 16: ALSA transfers wait for
// the device in Go's network poller, so none should).
func sampleWaits(stop <-chan struct{}) (looks, inPoll int, err error) {
	calls, ok := pollCalls[runtime.GOARCH]
	if !ok {
		return 0, 0, fmt.Errorf("no poll(2) numbers for %s", runtime.GOARCH)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return looks, inPoll, nil
		case <-tick.C:
		}
		paths, err := filepath.Glob("/proc/self/task/*/syscall")
		if err != nil {
			return looks, inPoll, err
		}
		looks++
		found := false
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue // the thread ended
			}
			nr, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
			if err != nil {
				continue // "running"
			}
			for _, c := range calls {
				found = found || nr == c
			}
		}
		if found {
			inPoll++
		}
	}
}

// pollerCheck runs sampleWaits while the device-paced writes run, and
// reports it.
func pollerCheck(report func(string, error, string)) (stop func()) {
	done := make(chan struct{})
	res := make(chan error, 1)
	var looks, inPoll int
	go func() {
		var err error
		looks, inPoll, err = sampleWaits(done)
		res <- err
	}()
	return func() {
		close(done)
		err := <-res
		if err == nil && looks == 0 {
			err = fmt.Errorf("no look at the threads")
		} else if err == nil && inPoll > 0 {
			err = fmt.Errorf("a thread was in poll(2) in %d of %d looks: a transfer waits outside the network poller", inPoll, looks)
		}
		report("transfers wait in the network poller", err, fmt.Sprintf("looks=%d in_poll=%d", looks, inPoll))
	}
}

// allocCheck reports whether a device-paced frame's Write allocates (a
// frame's playback, waits included, should not: issue 16).
func allocCheck(ctx context.Context, play *alsa.PlaybackDevice, frame []int16, report func(string, error, string)) {
	var werr error
	allocs := testing.AllocsPerRun(25, func() {
		if err := play.Write(ctx, frame); err != nil && werr == nil {
			werr = err
		}
	})
	if werr == nil && allocs > 0 {
		werr = fmt.Errorf("%.1f allocations per frame, want 0", allocs)
	}
	report("a frame's Write allocates nothing", werr, fmt.Sprintf("allocs=%.1f", allocs))
}
