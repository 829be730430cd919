package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// dtmfPairs are the row and column tones of the keys the tests key.
var dtmfPairs = map[rune][2]float64{'1': {697, 1209}, '5': {770, 1336}, '9': {852, 1477}, '#': {941, 1477}}

// wideKeys returns 16 kHz audio: lead of silence, then each key of keys
// as 100 ms of DTMF and 100 ms of silence, then 5 s of silence.
func wideKeys(lead time.Duration, keys string) []int16 {
	const rate = 16000
	x := make([]int16, int(lead.Seconds()*rate))
	for _, k := range keys {
		f := dtmfPairs[k]
		for i := range rate / 10 {
			t := float64(i) / rate
			x = append(x, int16(6000*(math.Sin(2*math.Pi*f[0]*t)+math.Sin(2*math.Pi*f[1]*t))))
		}
		x = append(x, make([]int16, rate/10)...)
	}
	return append(x, make([]int16, 5*rate)...)
}

// TestG722DoorCodeBinary: in a G.722 call (the door calls baresip) the
// resident's door code opens the door, keyed by RFC 4733 (baresip's
// sndcode) and, separately, in-band (baresip's microphone plays the DTMF
// tones, which sipbell's detector hears in the 16 kHz audio).
func TestG722DoorCodeBinary(t *testing.T) {
	t.Parallel()
	requireTool(t, "baresip", "baresip-core")
	for _, how := range []string{"rfc4733", "inband"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true, Codecs: "G722/16000/1,PCMU"})
			if how == "inband" {
				b.SetSourceRate(t, wideKeys(1500*time.Millisecond, "159#"), 16000)
			} else {
				b.SetSourceRate(t, wideTones(10), 16000)
			}
			dir := t.TempDir()
			cfg := voiceConfig("silence", filepath.Join(dir, "speaker.wav"), fmt.Sprintf(`media:
  codecs: [G722, PCMU]
device:
  buttons:
    - targets: [%q]
  door:
    code: "159#"
`, b.URI))
			p := startVoice(t, cfg, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			p.await(ctx, t, "door station ready", nil, 1)
			p.press(t, 1)
			if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatalf("baresip: %v", err)
			}
			p.await(ctx, t, "call codec", map[string]string{"codec": "G722", "rate": "16000"}, 1)
			if how == "rfc4733" {
				for _, d := range "159#" {
					if _, err := b.Command(ctx, "sndcode", string(d)); err != nil {
						t.Fatal(err)
					}
				}
			}
			p.await(ctx, t, "door opened", nil, 1)
			if _, err := b.Command(ctx, "hangup", ""); err != nil {
				t.Fatal(err)
			}
			p.await(ctx, t, "call ended", nil, 1)
		})
	}
}
