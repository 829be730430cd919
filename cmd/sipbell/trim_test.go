package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestMemTrimSchedule: a trim runs once the device has been quiet for
// trimQuiet after a kick or a call's end, never while a call's media is
// open, and a rescheduled or held-off trim's timer firing late does
// nothing.
func TestMemTrimSchedule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps string // k kick, h hold, r release, f fire the newest timer, 0-9 fire that timer
		want  int    // trims run
	}{
		{"kick then quiet", "kf", 1},
		{"call then quiet", "hrf", 1},
		{"kick, then a call starts", "kh0", 0},
		{"call in progress", "hkf", 0},
		{"two calls, one ends", "hhrf", 0},
		{"two calls end", "hhrrf", 1},
		{"kicked again: the first timer is stale", "kk0f", 1},
		{"fired twice", "kff", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fires []func()
			trims := 0
			m := newMemTrim(slog.New(slog.NewTextHandler(io.Discard, nil)))
			m.run = func() { trims++ }
			m.afterFunc = func(d time.Duration, f func()) *time.Timer {
				if d != trimQuiet {
					t.Errorf("trim scheduled in %v, want %v", d, trimQuiet)
				}
				fires = append(fires, f)
				return time.NewTimer(time.Hour)
			}
			for _, s := range tc.steps {
				switch {
				case s == 'k':
					m.kick()
				case s == 'h':
					m.hold()
				case s == 'r':
					m.release()
				case s == 'f' && len(fires) > 0:
					fires[len(fires)-1]()
				case s >= '0' && s <= '9' && int(s-'0') < len(fires):
					fires[s-'0']()
				}
			}
			if trims != tc.want {
				t.Errorf("steps %q: %d trims, want %d", tc.steps, trims, tc.want)
			}
		})
	}
}

// TestMemoryTrimmedBinary (issue 16): the door station (the real binary)
// gives memory back once quiet after its start and after a call: the
// heap's garbage is collected and its free pages returned.
func TestMemoryTrimmedBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(2))
	cfg := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n" +
		"audio:\n  capture: " + mic + "\n  playback: " + speaker + "\n"
	p := startVoice(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.await(ctx, t, "sip listening", nil, 1)["udp"].(string)
	p.await(ctx, t, "memory trimmed", nil, 1) // quiet after the start
	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr, Service: "door",
		Timeout: 30 * time.Second, Args: []string{"-d", "1000"}})
	if r.Exit != 0 {
		t.Fatalf("call: sipp exit %d\n%s", r.Exit, r.Messages)
	}
	p.await(ctx, t, "call ended", nil, 1)
	line := p.await(ctx, t, "memory trimmed", nil, 2)
	if released, _ := line["heap_released_kb"].(float64); released <= 0 {
		t.Errorf("memory trimmed after the call: %v kB of heap returned, want the call's garbage", released)
	}
	t.Log(fmt.Sprint(line))
}
