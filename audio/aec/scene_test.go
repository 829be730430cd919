package aec

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/aec/internal/room"
)

// cancel runs the canceller over a scene in 20 ms frames and returns the
// output aligned with the microphone (the canceller's latency removed). A
// nil cfg returns the microphone signal: the canceller switched off.
func cancel(t testing.TB, sc room.Scene, cfg *Config) []float64 {
	t.Helper()
	mic := room.PCM(sc.Mic)
	if cfg == nil {
		return room.Float(mic)
	}
	c, err := New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	far := room.PCM(sc.Far)
	out := make([]int16, len(mic))
	frame := sc.Rate / 50
	for off := 0; off+frame <= len(mic); off += frame {
		if err := c.Process(far[off:off+frame], mic[off:off+frame], out[off:off+frame]); err != nil {
			t.Fatal(err)
		}
	}
	res := make([]float64, len(out))
	copy(res, room.Float(out[c.Latency():]))
	return res
}

// door is the test scene: speech-like far end through a small speaker in a
// room of reverberation time t60, near-end talker from 6 to 8.5 s, street
// noise; the echo path changes at change seconds (0: never).
func door(rate int, t60, clip, change float64) room.Scene {
	return room.Build(room.Spec{Rate: rate, Seconds: 12, T60: t60, DRR: 8, FarRMS: 3000,
		EchoGain: 0.7, NearRMS: 1500, NoiseRMS: 8, Clip: clip, NearFrom: 6, NearTo: 8.5,
		ChangeAt: change, Seed: uint64(rate) + uint64(t60*10)})
}

// TestRooms: in steady state (3 to 6 s, far end only) the canceller removes
// at least the ERLE floor of echo in rooms of T60 0.2 to 0.6 s, with a
// linear and with a clipping speaker, at 8 and 16 kHz; switched off it
// removes nothing. During double talk (6 to 8.5 s) the near-end talker
// comes through with a segmental SNR above the floor, where the echo
// alone would keep it far below, and after it the echo is cancelled again.
func TestRooms(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rate              int
		t60, clip         float64
		erleMin, dtSNRMin float64
	}{
		{"8k T60 0.2", 8000, 0.2, 0, 50, 13},
		{"8k T60 0.4 clipping", 8000, 0.4, 6000, 34, 13},
		{"8k T60 0.6", 8000, 0.6, 0, 22, 9},
		{"16k T60 0.2 clipping", 16000, 0.2, 6000, 34, 11},
		{"16k T60 0.4", 16000, 0.4, 0, 40, 13},
		{"16k T60 0.6 clipping", 16000, 0.6, 6000, 17, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := door(tc.rate, tc.t60, tc.clip, 0)
			for _, on := range []bool{true, false} {
				var cfg *Config
				if on {
					cfg = &Config{SampleRate: tc.rate}
				}
				out := cancel(t, sc, cfg)
				erle := room.ERLE(sc.Mic, out, sc.Echo, tc.rate, 3, 6)
				snr := room.SegSNR(sc.Near, out, tc.rate, 6, 8.5)
				// Double talk must not have spoilt the filter.
				after := room.ERLE(sc.Mic, out, sc.Echo, tc.rate, 9, 12)
				t.Logf("%s canceller %v: ERLE %.1f dB, double-talk segmental SNR %.1f dB, ERLE after it %.1f dB",
					tc.name, on, erle, snr, after)
				if got := erle >= tc.erleMin && snr >= tc.dtSNRMin && after >= tc.erleMin*0.6; got != on {
					t.Errorf("canceller %v: ERLE %.1f dB (floor %.0f), near-end segmental SNR %.1f dB (floor %.0f), ERLE after double talk %.1f dB (floor %.0f)",
						on, erle, tc.erleMin, snr, tc.dtSNRMin, after, tc.erleMin*0.6)
				}
			}
		})
	}
}

// TestEchoPathChange: after the echo path changes (a door opens: new
// delay, gain and reverberation) the canceller re-converges: from 1.5 s
// after the change it removes at least the floor again, the linear filter
// alone too; with the post-filter, the 2 s right after the change are not
// left to the stale filter either (the microphone is passed to the
// post-filter as echo until the shadow filter's weights take over).
func TestEchoPathChange(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rate              int
		post              float64
		erleMin, firstMin float64
	}{
		{"8k", 8000, 0, 22, 16},
		{"8k linear filter only", 8000, -1, 12, -10},
		{"16k", 16000, 0, 45, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := door(tc.rate, 0.3, 0, 9)
			out := cancel(t, sc, &Config{SampleRate: tc.rate, SuppressDB: tc.post})
			before := room.ERLE(sc.Mic, out, sc.Echo, tc.rate, 4, 6)
			first := room.ERLE(sc.Mic, out, sc.Echo, tc.rate, 9, 11)
			after := room.ERLE(sc.Mic, out, sc.Echo, tc.rate, 10.5, 12)
			t.Logf("%s: ERLE before the change %.1f dB, 2 s after it %.1f dB, from 1.5 s after it %.1f dB",
				tc.name, before, first, after)
			if after < tc.erleMin || first < tc.firstMin {
				t.Errorf("ERLE %.1f dB in the 2 s after the echo path change (floor %.0f), %.1f dB from 1.5 s after it (floor %.0f)",
					first, tc.firstMin, after, tc.erleMin)
			}
		})
	}
}

// TestNearEndAlone: with no echo (far end silent, or a far end whose sound
// never reaches the microphone) the near-end talker passes unharmed.
func TestNearEndAlone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		farRMS float64
		echo   float64
		snrMin float64
	}{
		{"far end silent", 0, 0.7, 25},
		{"speaker disconnected", 3000, 0, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := room.Build(room.Spec{Rate: 8000, Seconds: 6, T60: 0.3, DRR: 8, FarRMS: tc.farRMS,
				EchoGain: tc.echo, NearRMS: 1500, NoiseRMS: 8, NearFrom: 1, NearTo: 6, Seed: 5})
			out := cancel(t, sc, &Config{SampleRate: 8000})
			if snr := room.SegSNR(sc.Near, out, 8000, 1, 6); snr < tc.snrMin {
				t.Errorf("near-end segmental SNR %.1f dB, want >= %.0f", snr, tc.snrMin)
			} else {
				t.Logf("near-end segmental SNR %.1f dB", snr)
			}
		})
	}
}

// TestLineEcho: with a short tail the canceller is the line echo canceller
// of the analog-phone mode: the 2-wire hybrid's echo (a few milliseconds of
// dispersion, 8 dB echo return loss) is removed, and double talk passes.
func TestLineEcho(t *testing.T) {
	sc := room.Build(room.Spec{Rate: 8000, Seconds: 10, T60: 0.015, DRR: 3, FarRMS: 3000,
		EchoGain: 0.35, NearRMS: 1500, NoiseRMS: 4, NearFrom: 6, NearTo: 8.5, Seed: 9})
	for _, on := range []bool{true, false} {
		var cfg *Config
		if on {
			cfg = &Config{SampleRate: 8000, Tail: 32 * time.Millisecond}
		}
		out := cancel(t, sc, cfg)
		erle := room.ERLE(sc.Mic, out, sc.Echo, 8000, 3, 6)
		snr := room.SegSNR(sc.Near, out, 8000, 6, 8.5)
		t.Logf("canceller %v: ERLE %.1f dB, double-talk segmental SNR %.1f dB", on, erle, snr)
		if got := erle >= 45 && snr >= 22; got != on {
			t.Errorf("canceller %v: ERLE %.1f dB (floor 45), near-end segmental SNR %.1f dB (floor 22)", on, erle, snr)
		}
	}
}
