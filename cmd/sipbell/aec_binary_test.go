package main

import (
	"context"
	bin "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio/aec"
	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 18: the echo canceller in the binary. The door station's speaker
// and microphone are named pipes joined by a simulated room (roomSim): what
// the door plays comes back into its microphone through a room impulse
// response, with a visitor talking over it. bob (a real baresip) calls the
// door through Kamailio and plays a speech-like signal; his recording of
// what the door sends shows how much of his own voice comes back.

// Room and signal constants of the simulated entrance.
const (
	roomRate     = 8000
	roomFrame    = 160
	farTop       = 1500.0 // bob's signal lies in 250 Hz .. farTop
	visitorHz    = 2400.0 // the visitor's "voice", above bob's band
	visitorAmp   = 1000.0
	roomSettle   = 4 * roomRate // samples before the measures start (convergence)
	roomMeasured = 8 * roomRate // samples measured
)

// roomIR is the entrance's impulse response speaker -> microphone: direct
// path after 1 ms, reverberation decaying with T60 0.25 s, cut at 60 ms.
func roomIR() []float64 {
	r := rand.New(rand.NewPCG(18, 5))
	ir := make([]float64, 480)
	ir[8] = 0.5
	for i := 24; i < len(ir); i++ {
		t := float64(i) / roomRate
		ir[i] = 0.12 * r.NormFloat64() * math.Pow(10, -3*t/0.25)
	}
	return ir
}

// farSignal is bob's speech-like signal: 40 random tones in 250-1500 Hz
// under a syllable-rate envelope with pauses.
func farSignal(seconds int) []int16 {
	r := rand.New(rand.NewPCG(7, 18))
	type tone struct{ f, ph float64 }
	tones := make([]tone, 40)
	for i := range tones {
		tones[i] = tone{250 + r.Float64()*(farTop-250), r.Float64() * 2 * math.Pi}
	}
	out := make([]int16, seconds*roomRate)
	for i := range out {
		t := float64(i) / roomRate
		env := 0.55 + 0.45*math.Sin(2*math.Pi*3.7*t)*math.Sin(2*math.Pi*0.9*t)
		var v float64
		for _, tn := range tones {
			v += math.Sin(2*math.Pi*tn.f*t + tn.ph)
		}
		out[i] = int16(v * env * 3000 / math.Sqrt(float64(len(tones))/2))
	}
	return out
}

// visitor is the visitor's voice at sample n: the tone, one second on,
// one second off.
func visitor(n int) float64 {
	if (n/roomRate)%2 == 1 {
		return 0
	}
	return visitorAmp * math.Sin(2*math.Pi*visitorHz*float64(n)/roomRate)
}

// roomSim joins the door's speaker pipe to its microphone pipe.
type roomSim struct {
	spk, mic *os.File
	ir       []float64
	hist     []float64 // last len(ir)-1 speaker samples

	mu       sync.Mutex
	noise    float64 // background (street) noise RMS at the microphone
	rng      *rand.Rand
	bgLog    []int16 // the background noise, sample by sample
	spkLog   []int16 // what the speaker played, sample by sample
	micLog   []int16 // what the room made of it at the microphone
	micOpen  bool    // the door has opened its microphone
	dropped  int     // microphone frames nobody read in time
	idle     int     // frames the speaker rested
	n        int     // microphone samples made
	echoPow  float64 // echo power summed over the measured span
	visitPow float64 // visitor power summed over the measured span
	measured chan struct{}
}

// startRoom makes the two pipes in dir and runs the room until ctx ends.
func startRoom(ctx context.Context, t *testing.T, dir string, noiseRMS float64) (spkPath, micPath string, r *roomSim) {
	t.Helper()
	spkPath, micPath = filepath.Join(dir, "speaker.wav"), filepath.Join(dir, "mic.wav")
	for _, p := range []string{spkPath, micPath} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r = &roomSim{ir: roomIR(), measured: make(chan struct{}), noise: noiseRMS, rng: rand.New(rand.NewPCG(3, 18))}
	var err error
	// Read-write opens of a pipe never wait for the other end.
	if r.spk, err = os.OpenFile(spkPath, os.O_RDWR, 0); err != nil {
		t.Fatal(err)
	}
	if r.mic, err = os.OpenFile(micPath, os.O_RDWR, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.mic.Write(streamHeader()); err != nil {
		t.Fatal(err)
	}
	r.hist = make([]float64, len(r.ir)-1)
	go r.run(ctx)
	t.Cleanup(func() { r.spk.Close(); r.mic.Close() })
	return spkPath, micPath, r
}

// streamHeader is a WAV header of unknown length, 8 kHz mono 16 bit.
func streamHeader() []byte {
	h := interop.EncodeWAV(nil)
	bin.LittleEndian.PutUint32(h[40:], 0xffffffff)
	return h
}

func (r *roomSim) run(ctx context.Context) {
	head := make([]byte, 44)
	if _, err := io.ReadFull(r.spk, head); err != nil {
		return
	}
	in := make([]byte, 2*roomFrame)
	out := make([]byte, 2*roomFrame)
	x := make([]float64, len(r.hist)+roomFrame)
	for ctx.Err() == nil {
		if err := r.speakerFrame(in); err != nil {
			return
		}
		copy(x, r.hist)
		for i := range roomFrame {
			x[len(r.hist)+i] = float64(int16(bin.LittleEndian.Uint16(in[2*i:])))
		}
		r.mu.Lock()
		for i := range roomFrame {
			var echo float64
			for k, h := range r.ir {
				echo += h * x[len(r.hist)+i-k]
			}
			v := visitor(r.n)
			bg := r.noise * r.rng.NormFloat64()
			if r.n >= roomSettle && r.n < roomSettle+roomMeasured {
				r.echoPow += echo * echo
				r.visitPow += v * v
			}
			r.n++
			s := max(-32768, min(32767, math.Round(echo+v+bg)))
			r.bgLog = append(r.bgLog, int16(bg))
			r.spkLog = append(r.spkLog, int16(x[len(r.hist)+i]))
			r.micLog = append(r.micLog, int16(s))
			bin.LittleEndian.PutUint16(out[2*i:], uint16(int16(s)))
		}
		if r.n >= roomSettle+roomMeasured && r.n-roomFrame < roomSettle+roomMeasured {
			close(r.measured)
		}
		r.mu.Unlock()
		copy(r.hist, x[roomFrame:])
		if !r.micOpen { // the door has not read the header yet: nobody listens
			if r.micOpen = r.queued() < 44; !r.micOpen {
				continue
			}
		}
		if r.queued() >= 8*len(out) {
			r.mu.Lock()
			r.dropped++ // like a microphone nobody reads: the sound is lost
			r.mu.Unlock()
			continue
		}
		if _, err := r.mic.Write(out); err != nil {
			return
		}
	}
}

// speakerFrame reads the next frame the door plays into in; when the
// speaker rests (no frame for 500 ms) it is silence: the room's clock, like
// a sound card's, goes on.
func (r *roomSim) speakerFrame(in []byte) error {
	got := 0
	for got < len(in) {
		_ = r.spk.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := r.spk.Read(in[got:])
		got += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if got == 0 {
				clear(in)
				r.mu.Lock()
				r.idle++
				r.mu.Unlock()
				return nil
			}
			continue // finish the frame begun
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// queued returns how many bytes wait in the microphone pipe.
func (r *roomSim) queued() int {
	n := 0
	if c, err := r.mic.SyscallConn(); err == nil {
		_ = c.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }) // FIONREAD
	}
	return n
}

// bandPower returns the mean power per sample of x in [lo, hi) Hz and
// near freq (±60 Hz), from 256-point FFTs.
func bandPower(x []int16, lo, hi, freq float64) (band, tone float64) {
	const n = 256
	a := make([]complex128, n)
	windows := 0
	for off := 0; off+n <= len(x); off += n {
		for i := range a {
			a[i] = complex(float64(x[off+i]), 0)
		}
		fft(a, false)
		for k := 1; k < n/2; k++ {
			f := float64(k) * roomRate / n
			p := 2 * (real(a[k])*real(a[k]) + imag(a[k])*imag(a[k])) / (n * n)
			if f >= lo && f < hi {
				band += p
			}
			if math.Abs(f-freq) <= 60 {
				tone += p
			}
		}
		windows++
	}
	return band / float64(windows), tone / float64(windows)
}

// echoResult is what reached bob, against what was at the door's
// microphone, in dB.
type echoResult struct {
	erle        float64 // the echo over what of it reaches bob (his band)
	visitorLoss float64 // the visitor's voice over what of it reaches bob
	quietest    float64 // the quietest second in bob's band at bob over the background there
}

// echoCall runs one call from bob to the door in the simulated room (with
// background noise of noiseRMS) with the canceller in mode.
func echoCall(t *testing.T, mode string, noiseRMS float64) echoResult {
	// Generous: under the race detector on a loaded machine a run took 77 s.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, bob := startBob(t)
	bob.SetSource(t, farSignal(40))
	spk, mic, room := startRoom(ctx, t, t.TempDir(), noiseRMS)
	p := startVoice(t, bobDoorConfig(k, fmt.Sprintf(`  capture: %s
  playback: %s
  echo_cancel:
    mode: %s
    tail: 160ms
`, mic, spk, mode)), nil, "-log-level", "debug")
	if mode == "on" {
		p.await(ctx, t, "echo canceller on", map[string]string{"tail_ms": "160"}, 1)
	}
	bobCallsDoor(ctx, t, k, bob)
	select {
	case <-room.measured:
	case <-ctx.Done():
		t.Fatalf("the room made %d samples before the timeout", room.n)
	}
	heard := bobHangsUp(ctx, t, p, bob, 44+2*(roomSettle+roomMeasured))
	p.stop(ctx, t)
	if err := bob.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	for _, m := range p.matching("echo canceller aligned", nil) {
		t.Logf("door: echo canceller aligned, reference %v ms behind the speaker's newest (%v, %v)", m["reference_behind_ms"], m["microphone_samples"], m["speaker_samples"])
	}
	rec := readWAV(t, heard)
	var per []string
	quietest := math.Inf(1)
	for sec := 0; (sec+1)*roomRate <= len(rec); sec++ {
		b, v := bandPower(rec[sec*roomRate:(sec+1)*roomRate], 250, farTop, visitorHz)
		per = append(per, fmt.Sprintf("%.0f/%.0f", 10*math.Log10(max(b, 1e-3)), 10*math.Log10(max(v, 1e-3))))
		if sec*roomRate >= roomSettle {
			quietest = min(quietest, b)
		}
	}
	t.Logf("bob heard per second (echo band / visitor, dB): %v", per)
	if len(rec) < roomSettle+roomMeasured {
		t.Fatalf("bob recorded %d samples, want %d", len(rec), roomSettle+roomMeasured)
	}
	// The recording starts with the call, as the room does; measure the
	// same span, less a second at either end for the network's delay.
	band, tone := bandPower(rec[roomSettle+roomRate:roomSettle+roomMeasured-roomRate], 250, farTop, visitorHz)
	room.mu.Lock()
	echo, vis := room.echoPow/roomMeasured, room.visitPow/roomMeasured
	bg, _ := bandPower(room.bgLog[roomSettle:roomSettle+roomMeasured], 250, farTop, visitorHz)
	t.Logf("the canceller alone on the room's own streams, exactly aligned: ERLE %.1f dB", exactERLE(room.spkLog, room.micLog))
	t.Logf("room: %d microphone frames dropped (not read in time), %d frames the speaker rested", room.dropped, room.idle)
	room.mu.Unlock()
	return echoResult{erle: 10 * math.Log10(echo/max(band, 1e-3)), visitorLoss: 10 * math.Log10(vis/max(tone, 1e-3)),
		quietest: 10 * math.Log10(max(quietest, 1e-3)/max(bg, 1e-3))}
}

// TestEchoCancelledInTheBinary: with the echo canceller on (auto, the
// default, runs it only between sound cards; the room's pipes are WAV
// streams, so on here, with a 160 ms tail) bob hears far less of himself
// than with it off, and the visitor's voice still reaches him.
func TestEchoCancelledInTheBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode       string
		erleMin    float64
		erleMax    float64
		visitorMax float64 // dB lost
	}{
		{"on", 15, math.Inf(1), 6},
		{"off", math.Inf(-1), 6, 3},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			r := echoCall(t, tc.mode, 0)
			erle, loss := r.erle, r.visitorLoss
			t.Logf("echo_cancel %s: ERLE %.1f dB, visitor's voice %.1f dB lower at bob than at the microphone", tc.mode, erle, loss)
			if erle < tc.erleMin || erle > tc.erleMax {
				t.Errorf("ERLE %.1f dB, want %.0f to %.0f", erle, tc.erleMin, tc.erleMax)
			}
			if loss > tc.visitorMax {
				t.Errorf("the visitor's voice lost %.1f dB, want at most %.0f", loss, tc.visitorMax)
			}
		})
	}
}

// exactERLE runs the canceller alone over the room's speaker and
// microphone streams, aligned sample by sample as the room made them, and
// returns the ERLE over the measured span (dB): what the binary could get
// at best.
func exactERLE(spk, mic []int16) float64 {
	c, err := aec.New(aec.Config{SampleRate: roomRate, Tail: 160 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	n := min(len(spk), len(mic)) / roomFrame * roomFrame
	out := make([]int16, n)
	for off := 0; off < n; off += roomFrame {
		_ = c.Process(spk[off:off+roomFrame], mic[off:off+roomFrame], out[off:off+roomFrame])
	}
	if n < roomSettle+roomMeasured {
		return math.NaN()
	}
	span := func(x []int16) []int16 { return x[roomSettle+roomRate : roomSettle+roomMeasured-roomRate] }
	res, _ := bandPower(span(out), 250, farTop, visitorHz)
	echo, _ := bandPower(span(mic), 250, farTop, visitorHz)
	return 10 * math.Log10(echo/max(res, 1e-3))
}

// TestComfortNoiseInTheBinary: at a door on a street (background noise,
// 150 RMS) the echo canceller's suppressor takes the background away with
// the echo; the comfort noise puts it back, so the line never goes dead
// for bob: his band is never, in any second, more than 6 dB below the
// street's level there (without comfort noise: 18 dB below).
func TestComfortNoiseInTheBinary(t *testing.T) {
	t.Parallel()
	r := echoCall(t, "on", 150)
	t.Logf("street noise: the quietest second in bob's band is %.1f dB against the background; ERLE %.1f dB, visitor's voice %.1f dB lower",
		r.quietest, r.erle, r.visitorLoss)
	if r.quietest < -6 {
		t.Errorf("the quietest second in bob's band is %.1f dB below the background, want at most 6", -r.quietest)
	}
}
