package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/media"
)

// voiceDigits are the keys of a phone's keypad, in the order they are sent.
const voiceDigits = "0123456789*#"

// TestVoiceDTMFFromBaresipReachesDoor: sipbell (the binary, simulated
// board) calls baresip when a visitor presses button 1; baresip sends
// 0-9 * # by RFC 4733 (ctrl_tcp sndcode, one key after the other without
// waiting); each digit must reach the door station exactly once and in
// order. The door station says so in its log: a target that may not open
// the door (targets_may_open: false, no extend key) gets one debug line
// "DTMF ignored: ..." per digit it receives. A final "A" marks the end:
// once it is seen, any duplicate of an earlier digit would be too.
func TestVoiceDTMFFromBaresipReachesDoor(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true})
	dir := t.TempDir()
	cfg := voiceConfig("silence", filepath.Join(dir, "speaker.wav"), fmt.Sprintf(`device:
  buttons:
    - targets: [%q]
  call:
    extend_key: ""
  door:
    code: "1234"
    targets_may_open: false
`, b.URI))
	p := startVoice(t, cfg, nil, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)
	p.press(t, 1)
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	const ignored = "DTMF ignored: the caller may not open the door"
	for _, d := range voiceDigits + "A" {
		if _, err := b.Command(ctx, "sndcode", string(d)); err != nil {
			t.Fatal(err)
		}
	}
	p.await(ctx, t, ignored, map[string]string{"digit": "A"}, 1)
	var got strings.Builder
	for _, m := range p.matching(ignored, nil) {
		got.WriteString(fmt.Sprint(m["digit"]))
	}
	if got.String() != voiceDigits+"A" {
		t.Errorf("the door station received %q, want %q (each key once, in order)", got.String(), voiceDigits+"A")
	}
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
}

// TestVoiceDTMFFromSipbellReachesBaresip: nothing in the binary sends
// DTMF yet (the door station only receives it), so this drives the same
// parts the binary wires — the real ua.UA with media.Manager behind
// cmd/sipbell's mediaHandler — and calls a real baresip, sending 0-9 * #
// with Call.SendDTMF. baresip must report each as CALL_DTMF_START once,
// in order.
func TestVoiceDTMFFromSipbellReachesBaresip(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logs := &lockedWriter{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ua log:\n%s", logs.String())
		}
	})
	cfg := ua.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	mcfg := media.DefaultConfig()
	clock := audio.SystemClock()
	mm := media.NewManager(mcfg, log, func(string) (audio.Source, audio.Sink, error) {
		return audio.NewPacedSource(&audio.Silence{}, clock, audio.FrameDuration),
			audio.NewPacedSink(&audio.Discard{}, clock, audio.FrameDuration), nil
	})
	u, err := ua.New(cfg, "test", log, ua.WithMediaConfig(mcfg),
		ua.WithMedia(mediaHandler{m: mm, audio: newCallAudio(ctx, provisioning.File{}, log), log: log}))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- u.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("ua.Run: %v", err)
		}
	}()
	call, err := u.Call(ctx, []string{b.URI}, ua.Hunt)
	if err != nil {
		t.Fatal(err)
	}
	for answered := false; !answered; {
		select {
		case ev := <-u.Events():
			if ev.Kind == ua.EventCallState && ev.CallID == call.ID() {
				answered = ev.State == ua.CallAnswered
				if ev.State == ua.CallEnded {
					t.Fatalf("call ended: %v", ev)
				}
			}
		case <-ctx.Done():
			t.Fatal("baresip never answered")
		}
	}
	for _, d := range []byte(voiceDigits) {
		if err := call.SendDTMF(d); err != nil {
			t.Fatalf("SendDTMF %c: %v", d, err)
		}
	}
	if err := call.SendDTMF('A'); err != nil {
		t.Fatal(err)
	}
	evs, err := b.WaitEvents(ctx, "CALL_DTMF_START", len(voiceDigits)+1)
	var got strings.Builder
	for _, e := range evs {
		got.WriteString(fmt.Sprint(e["param"]))
	}
	if err != nil || got.String() != voiceDigits+"A" {
		t.Fatalf("baresip recognised %q (%v), want %q", got.String(), err, voiceDigits+"A")
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
}

// lockedWriter collects log output from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
