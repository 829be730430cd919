package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device"
)

// TestEarpieceMix: a tone plays until replaced, caller ID once (then the
// earpiece is idle, so the speaker may rest), sidetone is mixed once.
func TestEarpieceMix(t *testing.T) {
	ctx := context.Background()
	pokes := 0
	e := &earpiece{poke: func() { pokes++ }}
	h := &handset{country: "DE", ear: e}
	frame := audio.NewFrame()
	mix := func() (peak int) {
		clear(frame)
		if err := e.Mix(ctx, frame); err != nil {
			t.Fatal(err)
		}
		for _, v := range frame {
			peak = max(peak, int(v), -int(v))
		}
		return peak
	}
	if e.Active() || mix() != 0 {
		t.Fatal("a new earpiece plays something")
	}
	if err := h.Tone(tone.Dial); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if mix() == 0 {
			t.Fatal("dial tone stopped by itself")
		}
	}
	cid := make([]int16, 300)
	for i := range cid {
		cid[i] = 1000
	}
	h.Play(cid)
	var peaks []int
	for range 3 {
		peaks = append(peaks, mix())
	}
	if !slices.Equal(peaks, []int{1000, 1000, 0}) || e.Active() {
		t.Fatalf("caller ID of 300 samples gave frames peaking %v, want 1000 1000 0 and then idle", peaks)
	}
	e.sidetone([]int16{7, 7, 7})
	if !e.Active() || mix() != 7 || mix() != 0 {
		t.Fatal("sidetone not mixed exactly once")
	}
	h.Tone(tone.Howler)
	h.Quiet()
	if e.Active() || mix() != 0 || pokes != 4 {
		t.Fatalf("quiet: active %v, pokes %d (want 4: every change wakes the speaker)", e.Active(), pokes)
	}
}

// TestHandsetMicListenAndClose: the microphone opens off hook and closes
// on hook; a call's source gets its frames, and silence at the frame
// pace while it is closed; nothing is left running after close.
func TestHandsetMicListenAndClose(t *testing.T) {
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	dir := t.TempDir()
	mic := filepath.Join(dir, "mic.wav")
	dtmfWAV(t, mic, "5", 100*time.Millisecond, 1000, 2)
	acfg := audio.DefaultConfig()
	acfg.Capture = mic
	keys := make(chan byte, 4)
	m := &handsetMic{cfg: acfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), ear: &earpiece{}, done: done,
		input: func(_ context.Context, in device.Input) error { keys <- in.Digit; return nil }}
	m.listen(true)
	src := m.callSource("c1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case k := <-keys:
		if k != '5' {
			t.Errorf("heard key %c, want 5", k)
		}
	case <-ctx.Done():
		t.Fatal("the key in the microphone was not heard")
	}
	frame := audio.NewFrame()
	for range 5 {
		if err := src.Read(ctx, frame); err != nil {
			t.Fatal(err)
		}
	}
	m.listen(false)
	for range 3 { // closed: paced silence
		if err := src.Read(ctx, frame); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()
	m.listen(true)
	close(done) // the core stops while listening
	m.close()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left running (was %d):\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
