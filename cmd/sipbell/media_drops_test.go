package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sipbell/sipbell/audio"
)

// droppingSink is a speaker recording whose disk stalls on demand: it
// counts the frames a test says it dropped.
type droppingSink struct {
	audio.Discard
	n atomic.Int64
}

func (d *droppingSink) Dropped() int64 { return d.n.Load() }

// lockedLog is a log written by the speaker's and the test's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCallReportsSpeakerDrops: a call during which the speaker's recording
// dropped frames logs one line with their number when it ends; drops
// before the call, or none, log nothing. The count is read through the
// wrappers audiodev puts around the recording (gain, pacing).
func TestCallReportsSpeakerDrops(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		before, during int64
		want           string // the line's frames, "" for no line
	}{
		{"none", 0, 0, ""},
		{"during the call", 0, 3, "frames=3"},
		{"before the call only", 5, 0, ""},
		{"before and during", 5, 2, "frames=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a := testAudio(ctx, t)
			a.rate = audio.SampleRate
			var logged lockedLog
			a.log = slog.New(slog.NewTextHandler(&logged, nil))
			rec := &droppingSink{}
			a.setPlayed(audio.NewGainSink(audio.NewPacedSink(rec, audio.SystemClock(), audio.FrameDuration), -3))
			rec.n.Add(tc.before)
			if _, _, err := a.forCall("c1"); err != nil {
				t.Fatal(err)
			}
			rec.n.Add(tc.during)
			a.release("c1")
			a.release("c1") // released twice (BYE and teardown): still one line
			lines := strings.Count(logged.String(), "speaker recording dropped frames")
			switch {
			case tc.want == "" && lines != 0:
				t.Errorf("logged %q, want nothing", logged.String())
			case tc.want != "" && (lines != 1 || !strings.Contains(logged.String(), tc.want)):
				t.Errorf("logged %q, want one line with %s", logged.String(), tc.want)
			}
		})
	}
}
