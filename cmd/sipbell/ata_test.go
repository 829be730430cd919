package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
	"github.com/sipbell/sipbell/internal/interop"
)

// The analog phone (device.mode: ata) as a whole binary on the simulated
// board: the hook is lifted and put down through the sim board's HTTP
// controls, the handset's microphone is a WAV file (opened at off-hook,
// so it starts playing then) and the earpiece is a WAV recording.

// ataProc is a sipbell running in ata mode with its sim controls.
type ataProc struct {
	*voiceProc
	sim string // the sim board's HTTP base URL
}

// startATA runs sipbell with config and the sim board's HTTP controls.
func startATA(ctx context.Context, t *testing.T, config string, flags ...string) *ataProc {
	t.Helper()
	p := startVoice(t, config, nil, append([]string{"-sim-http", "127.0.0.1:0"}, flags...)...)
	url := fmt.Sprint(p.await(ctx, t, "sim board http", nil, 1)["url"])
	p.await(ctx, t, "analog phone ready", nil, 1)
	return &ataProc{voiceProc: p, sim: strings.TrimSuffix(url, "/state")}
}

// hook lifts (true) or puts down the handset.
func (p *ataProc) hook(ctx context.Context, t *testing.T, off bool) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.sim+"/hook",
		strings.NewReader(fmt.Sprintf(`{"off_hook":%v}`, off)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); res.StatusCode >= 300 {
		t.Fatalf("sim hook off=%v: %s %s", off, res.Status, b)
	}
}

// ataConfig is an ata-mode configuration with the given microphone,
// earpiece and device.phone section (indented under phone:).
func ataConfig(mic, ear, phone, sip string) string {
	if sip == "" {
		sip = "sip:\n  listen: 127.0.0.1:0\n  user: phone\n"
	}
	return sip + "audio:\n  capture: " + mic + "\n  playback: " + ear + "\n" +
		"board:\n  profile: sim\ndevice:\n  mode: ata\n  phone:\n" + phone
}

// runs cuts x into 10 ms windows and returns the lengths of its runs of
// sound and silence, starting with sound.
func runs(x []int16) []time.Duration {
	const w = 80
	var out []time.Duration
	on, n := true, 0
	for i := 0; i+w <= len(x); i += w {
		var e float64
		for _, v := range x[i : i+w] {
			e += float64(v) * float64(v)
		}
		loud := math.Sqrt(e/w) > 300
		if loud != on {
			out = append(out, time.Duration(n)*10*time.Millisecond)
			on, n = loud, 0
		}
		n++
	}
	return append(out, time.Duration(n)*10*time.Millisecond)
}

// near reports whether d is within 30 ms of want (a 10 ms window on
// either edge, plus the tone's 2 ms ramps).
func near(d, want time.Duration) bool { return (d - want).Abs() <= 30*time.Millisecond }

// TestATADialToneThenReorderInEarpiece: lifting the handset gives the
// country's dial tone in the earpiece; nothing dialled for
// dial_tone_timeout gives reorder, in the country's cadence. Measured in
// the earpiece recording by Goertzel filters and run lengths, for two
// countries.
func TestATADialToneThenReorderInEarpiece(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country      string
		dial         []float64
		reorder      []float64
		on, off      time.Duration
		wrongForDial float64 // a frequency the dial tone must not have
	}{
		{"US", []float64{350, 440}, []float64{480, 620}, 250 * time.Millisecond, 250 * time.Millisecond, 425},
		{"DE", []float64{425}, []float64{425}, 240 * time.Millisecond, 240 * time.Millisecond, 350},
	}
	for _, tc := range tests {
		t.Run(tc.country, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ear := filepath.Join(dir, "earpiece.wav")
			p := func() *ataProc {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				return startATA(ctx, t, ataConfig("silence", ear, "    country: "+tc.country+"\n    dial_tone_timeout: 5s\n", ""))
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p.hook(ctx, t, true)
			p.await(ctx, t, "off hook without a call: no digit dialled", nil, 1)
			// Two seconds of reorder after five of dial tone.
			waitFileSize(ctx, t, ear, 44+2*7*8000, "7 s of earpiece")
			p.hook(ctx, t, false)
			p.await(ctx, t, "on hook", nil, 1)
			p.stop(ctx, t)

			x := readWAV(t, ear)
			r := runs(x)
			if len(r) < 6 {
				t.Fatalf("earpiece runs %v: want dial tone then a cadence", r)
			}
			// The first run is dial tone and reorder's first "on" together.
			dialTone := r[0] - tc.on
			dialEnd := int(r[0] / time.Millisecond * 8)
			dial := x[400:int(dialTone/time.Millisecond*8)] // after the first 50 ms
			var share float64
			for _, f := range tc.dial {
				share += interop.ToneShare(dial, f)
			}
			t.Logf("%s: dial tone %v, then runs %v; dial tone energy at %v Hz: %.3f", tc.country, dialTone, r[1:], tc.dial, share)
			// Frames, not wall time: the recording holds what was played.
			if dialTone < 4500*time.Millisecond || dialTone > 6*time.Second {
				t.Errorf("dial tone lasted %v, want 5 s (dial_tone_timeout)", dialTone)
			}
			if share < 0.9 || interop.ToneShare(dial, tc.wrongForDial) > 0.05 {
				t.Errorf("dial tone: %.3f of its energy at %v Hz, want > 0.9", share, tc.dial)
			}
			// The reorder: whole on/off runs after the first gap. The
			// hang-up cuts the cadence anywhere: the last two runs may be
			// a cut "on" and the silence the earpiece played until the
			// recording stopped.
			for i := 1; i+1 < len(r)-2; i += 2 {
				if !near(r[i], tc.off) || !near(r[i+1], tc.on) {
					t.Errorf("reorder run %d: off %v on %v, want %v/%v", i/2, r[i], r[i+1], tc.off, tc.on)
				}
			}
			reorder := x[dialEnd+int(r[1]/time.Millisecond*8):]
			reorder = reorder[:int(r[2]/time.Millisecond*8)]
			share = 0
			for _, f := range tc.reorder {
				share += interop.ToneShare(reorder, f)
			}
			if share < 0.9 {
				t.Errorf("reorder: %.3f of its energy at %v Hz, want > 0.9", share, tc.reorder)
			}
		})
	}
}

// dtmfWAV writes a handset microphone recording: lead of silence, the
// keys pressed, then tone Hz for the rest of secs.
func dtmfWAV(t *testing.T, path, keys string, lead time.Duration, hz float64, secs int) {
	t.Helper()
	x := make([]int16, int(lead/time.Millisecond*8))
	if keys != "" {
		g, err := dtmf.NewGenerator(keys, 100*time.Millisecond, 100*time.Millisecond, dtmf.DefaultGain)
		if err != nil {
			t.Fatal(err)
		}
		frame := audio.NewFrame()
		for g.Read(context.Background(), frame) == nil {
			x = append(x, frame...)
		}
	}
	for i := range secs * 8000 {
		x = append(x, int16(8000*math.Sin(2*math.Pi*hz*float64(i)/8000)))
	}
	interop.WriteWAV(t, path, x)
}

// kamailioSIP is the sip section of a phone registered at k.
func kamailioSIP(k *interop.Kamailio) string {
	return fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  user: door\n  accounts:\n    - registrar: %s\n      user: door\n      password: %s\n",
		k.UDP, interop.Password)
}

// TestATADialsThroughKamailio: off hook, 1 2 dialled (keys: DTMF in the
// handset's microphone; pulses: the rotary dial, through the sim board's
// pins) → the dial plan turns "12" into alice
// → INVITE sip:alice@ through Kamailio to baresip, which answers; audio
// both ways (the handset's 1 kHz reaches baresip, baresip's 440 Hz the
// earpiece, with the handset's own 1 kHz as sidetone); on hook → BYE.
func TestATADialsThroughKamailio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, keys string }{
		{"keys", "12"}, // DTMF in the handset's microphone
		{"pulses", ""}, // the rotary dial's pulses
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{})
			alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true, ToneHz: 440})
			dir := t.TempDir()
			mic, ear := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "earpiece.wav")
			dtmfWAV(t, mic, tc.keys, 1500*time.Millisecond, 1000, 30)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			p := startATA(ctx, t, ataConfig(mic, ear, "    sidetone_db: -20\n    dial_plan:\n      digit_map: \"(<12:alice>|[2-9]xxx)\"\n", kamailioSIP(k)),
				"-sip-trace")
			p.await(ctx, t, "registration registered", nil, 1)
			p.hook(ctx, t, true)
			if tc.keys == "" { // the rotary dial, as the sim board pulses it
				p.await(ctx, t, "off hook", nil, 1)
				p.simPost(ctx, t, "/dial", `{"digits":"12"}`)
			}
			p.await(ctx, t, "dialling", map[string]string{"digits": "12", "number": "alice"}, 1)
			if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatalf("baresip: %v", err)
			}
			p.await(ctx, t, "call answered", nil, 1)
			if !strings.Contains(p.log(), "INVITE sip:alice@"+k.Domain) {
				t.Errorf("no INVITE sip:alice@%s sent", k.Domain)
			}
			// Two seconds of the call's audio in the earpiece, after the dial tone.
			for voicedInFile(ear) < 4*8000 {
				select {
				case <-ctx.Done():
					t.Fatal("the earpiece never received the call's audio")
				case <-time.After(50 * time.Millisecond):
				}
			}
			p.hook(ctx, t, false)
			p.await(ctx, t, "hanging up: the handset was put down", nil, 1)
			if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
				t.Fatalf("baresip saw no BYE: %v", err)
			}
			p.stop(ctx, t)

			// The earpiece: dial tone until the first key (its first run of
			// sound), then the call's audio (voiced frames; a stall is silence).
			all := readWAV(t, ear)
			dialEnd := int(runs(all)[0] / time.Millisecond * 8)
			if s := interop.ToneShare(all[400:dialEnd], 350) + interop.ToneShare(all[400:dialEnd], 440); s < 0.9 {
				t.Errorf("dial tone before the first key: %.2f of its energy at 350+440 Hz, want > 0.9", s)
			}
			// Then local ringback (440+480 Hz, on 180) until baresip answers, and
			// the call: 20 ms frames with sound, told apart by the 480 Hz.
			var ringback, call []int16
			for _, f := range frames(voiced(all[dialEnd:])) {
				if interop.ToneShare(f, 480) > 0.2 {
					ringback = append(ringback, f...)
				} else {
					call = append(call, f...)
				}
			}
			t.Logf("earpiece: dial tone %v, ringback %v (440+480 Hz share %.3f), call %v (440 Hz share %.3f, sidetone 1000 Hz %.4f)",
				runs(all)[0], samples(len(ringback)), interop.ToneShare(ringback, 440)+interop.ToneShare(ringback, 480),
				samples(len(call)), interop.ToneShare(call, 440), interop.ToneShare(call, 1000))
			if len(ringback) > 0 && interop.ToneShare(ringback, 440)+interop.ToneShare(ringback, 480) < 0.9 {
				t.Errorf("ringback is not 440+480 Hz")
			}
			// Judged frame by frame: a frame the jitter buffer concealed or
			// dropped breaks the phase between frames, not the tone within one.
			var good int
			var side float64
			for _, f := range frames(call) {
				if interop.ToneShare(f, 440) > 0.8 {
					good++
				}
				side += interop.ToneShare(f, 1000)
			}
			n := len(call) / audio.FrameSamples
			t.Logf("earpiece call frames: %d, %d of them 440 Hz; mean 1000 Hz share %.4f", n, good, side/float64(max(n, 1)))
			if n < 50 || good < n*9/10 {
				t.Errorf("the earpiece got %d frames of the call, %d of them baresip's 440 Hz: want 1 s, 90%%", n, good)
			}
			// Sidetone: the handset's own 1 kHz, 20 dB down, is in the earpiece
			// too (a little, against baresip's 440 Hz; nothing without sidetone).
			if st := side / float64(max(n, 1)); st < 0.002 || st > 0.2 {
				t.Errorf("sidetone: 1000 Hz share %.4f of the call in the earpiece, want some (sidetone_db -20)", st)
			}
			recs, _ := filepath.Glob(filepath.Join(alice.RecordDir, "dump-*-dec.wav"))
			if len(recs) == 0 {
				t.Fatalf("baresip made no recording in %s", alice.RecordDir)
			}
			got := voiced(readWAV(t, recs[0]))
			t.Logf("baresip heard %d voiced samples: 1000 Hz share %.3f", len(got), interop.ToneShare(got, 1000))
			if len(got) < 8000 || interop.ToneShare(got, 1000) < 0.8 {
				t.Errorf("baresip heard %d voiced samples, 1000 Hz share %.2f: want 1 s of the handset's 1 kHz", len(got), interop.ToneShare(got, 1000))
			}
		})
	}
}

// TestATARingsWithCallerID: baresip (alice) calls the phone through
// Kamailio; the phone rings and sends Bell 202 caller ID between the
// first and the second ring; the earpiece recording, decoded by
// multimon-ng, names alice (the identity Kamailio asserted); off hook
// answers and baresip is connected.
func TestATARingsWithCallerID(t *testing.T) {
	t.Parallel()
	interop.Need(t, "multimon-ng", "multimon-ng")
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
	dir := t.TempDir()
	ear := filepath.Join(dir, "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n", kamailioSIP(k)))
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "caller ID sent", nil, 1)
	// The caller ID lasts 0.6 s; wait for all of it in the recording
	// (lifting the handset earlier cuts it short, as on a real line).
	waitFileSize(ctx, t, ear, 44+2*4800, "caller ID")
	p.hook(ctx, t, true)
	p.await(ctx, t, "call answered", nil, 1)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.hook(ctx, t, false)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.stop(ctx, t)
	x := readWAV(t, ear)
	cid := x[:min(len(x), 8000)]
	got := interop.Multimon(t, "CLIPFSK", append(append(make([]int16, 800), cid...), make([]int16, 1600)...))
	t.Logf("multimon-ng: %q", got)
	if !strings.Contains(got, "CID=alice") || !bytes.Contains([]byte(got), []byte("DATE=")) {
		t.Errorf("multimon-ng decoded %q, want the caller ID of alice", got)
	}
}

// frames cuts x into 20 ms frames.
func frames(x []int16) [][]int16 {
	var out [][]int16
	for i := 0; i+audio.FrameSamples <= len(x); i += audio.FrameSamples {
		out = append(out, x[i:i+audio.FrameSamples])
	}
	return out
}

// samples is the duration of n samples at 8 kHz.
func samples(n int) time.Duration { return time.Duration(n) * time.Second / audio.SampleRate }
