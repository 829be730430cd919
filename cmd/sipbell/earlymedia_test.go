package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/g711"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestEarlyMediaReachesVisitor: the door station (the sipbell binary)
// calls a queue, a sipp that answers 183 Session Progress with SDP and
// plays an announcement (a tone) as RTP but never answers. The visitor
// hears the announcement on the door's speaker instead of the door's
// ringback; pressing the button again cancels the call (CANCEL).
func TestEarlyMediaReachesVisitor(t *testing.T) {
	t.Parallel()
	const tone = 1170.0
	dir := t.TempDir()
	announcement := filepath.Join(dir, "announcement.ulaw")
	pcm := make([]int16, 8000*4)
	copy(pcm, toneSamples(tone, len(pcm)))
	ulaw := make([]byte, len(pcm))
	g711.EncodeUlaw(ulaw, pcm)
	if err := os.WriteFile(announcement, ulaw, 0o644); err != nil {
		t.Fatal(err)
	}
	queue := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", "uas_early_media_cancel.xml"),
		Replace: map[string]string{"file": announcement}, Timeout: 30 * time.Second})
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(5))
	p := startVoice(t, voiceConfig(mic, speaker, fmt.Sprintf("device:\n  buttons:\n    - targets: [\"sip:queue@%s\"]\n", queue.Addr)), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)

	p.press(t, 1)
	p.await(ctx, t, "early media: the visitor hears the far end", nil, 1)
	st, err := os.Stat(speaker)
	if err != nil {
		t.Fatal(err)
	}
	waitFileSize(ctx, t, speaker, st.Size()+2*8000*2, "the door's speaker")
	heard := readWAV(t, speaker)
	last := heard[len(heard)-8000:]
	if share := interop.ToneShare(last, tone); share < 0.5 {
		t.Errorf("the door's speaker plays %.0f%% of the queue's %v Hz announcement, want most of it", share*100, tone)
	}
	p.press(t, 1) // the visitor gives up
	if r := queue.Wait(ctx); r.Exit != 0 {
		t.Errorf("the queue got no CANCEL: sipp exit %d\n%s", r.Exit, r.Log)
	}
}

// toneSamples is n samples of a sine at freq, 8 kHz, at half scale.
func toneSamples(freq float64, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(16000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return s
}
