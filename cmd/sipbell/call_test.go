package main

import (
	"bytes"
	"context"
	le "encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/internal/interop"
)

// readWAV reads a whole file in the call format (8 kHz mono).
func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	src, err := wav.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	var out []int16
	frame := make([]int16, audio.FrameSamples)
	for src.Read(context.Background(), frame) == nil {
		out = append(out, frame...)
	}
	return out
}

// voicedInFile counts the voiced samples of a WAV file being written
// (16-bit mono PCM after the "data" chunk header).
func voicedInFile(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := bytes.Index(data, []byte("data"))
	if i < 0 || len(data) < i+8 {
		return 0
	}
	pcm := data[i+8:]
	x := make([]int16, len(pcm)/2)
	for j := range x {
		x[j] = int16(le.LittleEndian.Uint16(pcm[2*j:]))
	}
	return len(voiced(x))
}

// voiced keeps the 20 ms frames that are not silent.
func voiced(x []int16) []int16 {
	var out []int16
	for i := 0; i+audio.FrameSamples <= len(x); i += audio.FrameSamples {
		f := x[i : i+audio.FrameSamples]
		var e float64
		for _, v := range f {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/float64(len(f))) > 100 {
			out = append(out, f...)
		}
	}
	return out
}

// TestCallFromBaresipCarriesAudio: a real baresip calls the sipbell binary
// directly (peer-to-peer, allowed by source network); sipbell auto-answers
// and the call carries audio both ways through the whole stack (SIP, SDP,
// RTP, G.711, the audio devices): sipbell's "microphone" (a 1 kHz WAV)
// reaches baresip's recording, baresip's 440 Hz reaches sipbell's
// "speaker" (a WAV recording). baresip hangs up; sipbell sees the BYE.
func TestCallFromBaresipCarriesAudio(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", ToneHz: 440})
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteToneWAV(t, mic, 1000, 30)
	p := startWith(t, nil, "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n"+
		"audio:\n  capture: "+mic+"\n  playback: "+speaker+"\n")
	addr := p.await(t, "sip listening")["udp"].(string)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := b.Command(ctx, "dial", "sip:door@"+addr); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v\n%s", err, b.Log)
	}
	p.await(t, "call answered")
	// Two seconds of the peer's audio reach the speaker file (the speaker
	// plays silence from start-up, so count the voiced frames).
	for voicedInFile(speaker) < 2*8000 {
		select {
		case <-ctx.Done():
			t.Fatal("sipbell's speaker never received two seconds of audio")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(t, "call ended")
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	heard := readWAV(t, speaker)
	if len(heard) < 2*8000 {
		t.Fatalf("speaker recorded %d samples, want 2 s", len(heard))
	}
	// Judge the frames that carry sound: on a loaded machine a peer's
	// sender can stall, and a stall is silence, not a wrong tone.
	mid := voiced(heard)
	if len(mid) < 8000 {
		t.Fatalf("sipbell heard only %d voiced samples of %d", len(mid), len(heard))
	}
	t.Logf("sipbell heard %d samples, %d voiced: 440 Hz share %.3f (whole %.3f), 1000 Hz share %.3f", len(heard), len(mid), interop.ToneShareWindowed(mid, 440), interop.ToneShare(mid, 440), interop.ToneShareWindowed(mid, 1000))
	if s := interop.ToneShareWindowed(mid, 440); s < 0.8 {
		t.Errorf("sipbell heard 440 Hz at %.2f of its energy, want > 0.8", s)
	}
	recs, _ := filepath.Glob(filepath.Join(b.RecordDir, "dump-*-dec.wav"))
	if len(recs) == 0 {
		t.Fatalf("baresip made no recording in %s", b.RecordDir)
	}
	got := voiced(readWAV(t, recs[0]))
	if len(got) < 8000 {
		t.Fatalf("baresip recorded %d voiced samples", len(got))
	}
	t.Logf("baresip heard %d voiced samples: 1000 Hz share %.3f, 440 Hz share %.3f", len(got),
		interop.ToneShare(got, 1000), interop.ToneShare(got, 440))
	if s := interop.ToneShareWindowed(got, 1000); s < 0.8 {
		t.Errorf("baresip heard 1000 Hz at %.2f of its energy, want > 0.8", s)
	}
}
