package main

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
	"github.com/sipbell/sipbell/internal/interop"
)

// ackWAV writes a handset microphone that keeps pressing key: 70 ms of
// the DTMF digit every 150 ms for secs (a phone that acknowledges the
// alerting signal whenever it comes: any 160 ms window holds a press).
func ackWAV(t *testing.T, path string, key byte, secs int) {
	t.Helper()
	g, err := dtmf.NewGenerator(strings.Repeat(string(key), secs*1000/150), 70*time.Millisecond, 80*time.Millisecond, dtmf.DefaultGain)
	if err != nil {
		t.Fatal(err)
	}
	var x []int16
	frame := audio.NewFrame()
	for g.Read(context.Background(), frame) == nil {
		x = append(x, frame...)
	}
	interop.WriteWAV(t, path, x)
}

// TestATACallWaitingCallerID: alice (baresip) calls the phone through
// Kamailio and is answered; bob calls during the call. With
// call_waiting_caller_id the phone mutes alice and sends the alerting
// signal; a handset that acknowledges with D (played into the handset
// microphone) gets bob's caller ID, which multimon-ng decodes from the
// earpiece recording (CID=bob); a handset that does not acknowledge gets
// none (multimon-ng finds nothing).
func TestATACallWaitingCallerID(t *testing.T) {
	t.Parallel()
	interop.Need(t, "multimon-ng", "multimon-ng")
	for _, tc := range []struct {
		name string
		ack  bool
	}{{"acknowledged", true}, {"not acknowledged", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{})
			alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
			bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP, ToneHz: 700})
			dir := t.TempDir()
			mic, ear := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "earpiece.wav")
			if tc.ack {
				ackWAV(t, mic, 'D', 60)
			} else {
				interop.WriteWAV(t, mic, make([]int16, 60*8000))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			p := startATA(ctx, t, ataConfig(mic, ear, "    country: US\n    call_waiting: true\n    call_waiting_caller_id: true\n", kamailioSIP(k)))
			p.await(ctx, t, "registration registered", nil, 1)
			if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
				t.Fatal(err)
			}
			p.await(ctx, t, "call from sip:alice@"+k.UDP+": ringing", nil, 1)
			p.hook(ctx, t, true)
			if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatal(err)
			}
			p.await(ctx, t, "call answered", nil, 1)
			if _, err := bob.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
				t.Fatal(err)
			}
			p.await(ctx, t, "call waiting", map[string]string{"peer": "sip:bob@" + k.UDP}, 1)
			p.await(ctx, t, "call waiting: alerting signal sent, waiting for the phone's acknowledgement", nil, 1)
			casAt := pcmSamples(t, ear)
			if tc.ack {
				p.await(ctx, t, "call waiting: the phone acknowledged the alerting signal", map[string]string{"digit": "D"}, 1)
				n, _ := p.await(ctx, t, "caller ID on call waiting sent", nil, 1)["samples"].(float64)
				waitFileSize(ctx, t, ear, int64(44+2*(casAt+int(n)+8000)), "caller ID in the earpiece")
			} else {
				p.await(ctx, t, "call waiting: the phone did not acknowledge the alerting signal: no caller ID", nil, 1)
				waitFileSize(ctx, t, ear, int64(44+2*(casAt+2*8000)), "2 s of earpiece")
			}
			p.hook(ctx, t, false)
			p.stop(ctx, t)
			x := readWAV(t, ear)
			// From a second before the alerting signal (it was logged before
			// it reached the recording) to 2 s after it.
			from := max(0, casAt-8000)
			seg := x[from:min(len(x), casAt+2*8000)]
			got := interop.Multimon(t, "CLIPFSK", append(append(make([]int16, 800), seg...), make([]int16, 1600)...))
			t.Logf("multimon-ng: %q; alerting signal energy share %.2f", got, alertShare(seg))
			if tc.ack && !strings.Contains(got, "CID=bob") {
				t.Errorf("multimon-ng decoded %q, want bob's caller ID", got)
			}
			if !tc.ack && got != "" {
				t.Errorf("multimon-ng decoded %q without an acknowledgement, want nothing", got)
			}
			if alertShare(seg) < 0.8 {
				t.Errorf("no 2130+2750 Hz alerting signal in the earpiece around the call-waiting tone")
			}
		})
	}
}

// alertShare is the share of x's energy in the loudest 80 ms window at
// 2130+2750 Hz (the alerting signal).
func alertShare(x []int16) float64 {
	best := 0.0
	for i := 0; i+640 <= len(x); i += 160 {
		w := x[i : i+640]
		var e float64
		for _, v := range w {
			e += float64(v) * float64(v)
		}
		if e == 0 {
			continue
		}
		s := interop.ToneShare(w, 2130) + interop.ToneShare(w, 2750)
		best = math.Max(best, s)
	}
	return best
}
