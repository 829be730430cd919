package g722

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// ffmpeg (Debian package ffmpeg) is the independent G.722 implementation
// these tests compare with, bit for bit: its encoder on the same PCM must
// give our encoder's bytes, its decoder on the same bytes our decoder's
// PCM. Vectors it made are committed under testdata (TestVectors runs
// everywhere); TestFFmpegLive re-checks on fresh signals where ffmpeg is
// installed, and must run in CI. Regenerate the vectors with
// `go test ./audio/g722 -run TestVectors -update`.

var update = flag.Bool("update", false, "regenerate testdata with ffmpeg")

// requireFFmpeg skips without ffmpeg, except under CI where it fails.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg not found: CI must install Debian package ffmpeg")
		}
		t.Skip("ffmpeg not found: install Debian package ffmpeg to run this test")
	}
}

// ffmpeg runs ffmpeg quietly with args.
func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// ffmpegEncode has ffmpeg encode 16 kHz PCM to G.722 bytes.
func ffmpegEncode(t *testing.T, dir string, pcm []int16) []byte {
	t.Helper()
	in, out := filepath.Join(dir, "enc-in.raw"), filepath.Join(dir, "enc-out.g722")
	writeFile(t, in, pcmBytes(pcm))
	ffmpeg(t, "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", in, "-acodec", "g722", "-f", "g722", out)
	return readFile(t, out)
}

// ffmpegDecode has ffmpeg decode G.722 bytes in the given mode.
func ffmpegDecode(t *testing.T, dir string, data []byte, m Mode) []int16 {
	t.Helper()
	in, out := filepath.Join(dir, "dec-in.g722"), filepath.Join(dir, "dec-out.raw")
	writeFile(t, in, data)
	bits := map[Mode]string{Mode1: "8", Mode2: "7", Mode3: "6"}[m]
	ffmpeg(t, "-bits_per_codeword", bits, "-f", "g722", "-i", in, "-f", "s16le", "-acodec", "pcm_s16le", out)
	return pcmFrom(readFile(t, out))
}

func pcmBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

func pcmFrom(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Recommendation's 16-bit arithmetic, as the ITU-T G.191 reference
// code has it, limits the transmit QMF's outputs xL and xH to 15 bits and
// every partial sum of the predictor (FILTEZ sums b_6 d_6 down to b_1 d_1
// with limiting after each addition, FILTEP limits its sum before PREDIC
// adds the zero section); ffmpeg limits neither, only the prediction. They
// agree until a sub-band sample or such a sum leaves its range.
// Each comparison runs twice: with ffmpeg's arithmetic (a test-only
// switch) the result must equal ffmpeg's everywhere; with the
// Recommendation's it must equal ffmpeg's at least up to the first sum that
// left 16 bits.

// result is one run of our codec on a vector.
type result struct {
	bytes []byte
	pcm   []int16
	wide  int // first byte (or sample pair) where a sum left 16 bits, or -1
}

func encode(pcm []int16, ffmpegArith bool) result {
	r := result{bytes: make([]byte, len(pcm)/2), wide: -1}
	var e Encoder
	e.Reset()
	e.low.ffmpeg, e.high.ffmpeg = ffmpegArith, ffmpegArith
	// A byte at a time, to find where sums first left 16 bits.
	for i := range r.bytes {
		e.Encode(r.bytes[i:i+1], pcm[2*i:2*i+2])
		if r.wide < 0 && e.low.wide+e.high.wide > 0 {
			r.wide = i
		}
	}
	return r
}

func decode(data []byte, m Mode, ffmpegArith bool) result {
	r := result{pcm: make([]int16, 2*len(data)), wide: -1}
	d := Decoder{Mode: m}
	d.Reset()
	d.low.ffmpeg, d.high.ffmpeg = ffmpegArith, ffmpegArith
	for i := range data {
		d.Decode(r.pcm[2*i:2*i+2], data[i:i+1])
		if r.wide < 0 && d.low.wide+d.high.wide > 0 {
			r.wide = i
		}
	}
	return r
}

func firstDiff[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// check compares encoding (pcm given) or decoding (pcm nil) with ffmpeg's
// output want (bytes or samples) both ways and returns whether the
// Recommendation's arithmetic gave a different result than ffmpeg's.
func checkEncode(t *testing.T, name string, pcm []int16, want []byte) (differs bool) {
	t.Helper()
	ff := encode(pcm, true)
	if i := firstDiff(ff.bytes, want); i >= 0 {
		t.Fatalf("%s, ffmpeg arithmetic: byte %d of %d differs from ffmpeg's", name, i, len(want))
	}
	itu := encode(pcm, false)
	i := firstDiff(itu.bytes, want)
	if i >= 0 && (ff.wide < 0 || i < ff.wide) {
		t.Fatalf("%s: byte %d of %d is %#02x, ffmpeg %#02x, before any sum left 16 bits (first at %d)", name, i, len(want), itu.bytes[i], want[i], ff.wide)
	}
	return i >= 0
}

func checkDecode(t *testing.T, name string, data []byte, m Mode, want []int16) (differs bool) {
	t.Helper()
	ff := decode(data, m, true)
	if i := firstDiff(ff.pcm, want); i >= 0 {
		t.Fatalf("%s %v, ffmpeg arithmetic: sample %d of %d differs from ffmpeg's", name, m, i, len(want))
	}
	itu := decode(data, m, false)
	i := firstDiff(itu.pcm, want)
	if i >= 0 && (ff.wide < 0 || i/2 < ff.wide) {
		t.Fatalf("%s %v: sample %d of %d is %d, ffmpeg %d, before any sum left 16 bits (first at byte %d)", name, m, i, len(want), itu.pcm[i], want[i], ff.wide)
	}
	return i >= 0
}

// signal makes a named 16 kHz test signal of n samples; rnd seeds noise.
func signal(name string, n int, f0, f1, amp float64, rnd *rand.Rand) []int16 {
	pcm := make([]int16, n)
	clip := func(v float64) int16 { return int16(math.Round(max(min(v, 32767), -32768))) }
	switch name {
	case "silence":
	case "noise":
		for i := range pcm {
			pcm[i] = int16(rnd.Uint32())
		}
	case "chirp": // f0 to f1 Hz, linear
		for i := range pcm {
			tt := float64(i) / 16000
			dur := float64(n) / 16000
			pcm[i] = clip(amp * math.Sin(2*math.Pi*(f0*tt+(f1-f0)*tt*tt/(2*dur))))
		}
	case "extremes2": // extremes of 1600 samples, then of the rest
		copy(pcm, signal("extremes", 1600, 0, 0, 0, rnd))
		copy(pcm[1600:], signal("extremes", n-1600, 0, 0, 0, rnd))
	case "extremes": // full-scale DC both ways, then Nyquist
		for i := range pcm {
			switch {
			case i < n/3:
				pcm[i] = 32767
			case i < 2*n/3:
				pcm[i] = -32768
			case i%2 == 0:
				pcm[i] = 32767
			default:
				pcm[i] = -32768
			}
		}
	default: // tone f0 Hz at amp, clipped to 16 bits
		for i := range pcm {
			pcm[i] = clip(amp * math.Sin(2*math.Pi*f0*float64(i)/16000))
		}
	}
	return pcm
}

// vectors are the committed test signals: tones (5.5 and 6.5 kHz are the
// ones G.711 cannot carry), a chirp, noise, silence and full-scale
// clipping. Each is encoded from a fresh encoder state.
var vectors = []struct {
	name, kind  string
	n           int
	f0, f1, amp float64
}{
	{"silence", "silence", 1600, 0, 0, 0},
	{"tone1000", "tone", 3200, 1000, 0, 16384},
	{"tone5500", "tone", 3200, 5500, 0, 16384},
	{"tone6500", "tone", 3200, 6500, 0, 16384},
	{"chirp", "chirp", 6400, 50, 7950, 20000},
	{"noise", "noise", 3200, 0, 0, 0},
	{"clip100", "tone", 3200, 100, 0, 80000},
	{"clip3000", "tone", 3200, 3000, 0, 50000},
	{"extremes", "extremes", 1920, 0, 0, 0},
	// The one whose predictor sums leave 16 bits, where the
	// Recommendation's arithmetic and ffmpeg's part (see result).
	{"overflow", "extremes2", 3520, 0, 0, 0},
}

// encDiffers and decDiffers name the vectors where the Recommendation's
// arithmetic gives other bytes (encoding) or samples (decoding ffmpeg's
// bytes) than ffmpeg's: clipped signals overshoot the 15-bit sub-band
// range the Recommendation limits the QMF's output to; "overflow" also
// takes the predictor sums beyond 16 bits.
var (
	encDiffers = map[string]bool{"clip100": true, "clip3000": true, "extremes": true, "overflow": true}
	decDiffers = map[string]bool{"overflow": true}
)

const vectorDir = "testdata"

// TestVectors checks encoder and decoder against the ffmpeg vectors in
// testdata: NAME.pcm (input, s16le 16 kHz), NAME.g722 (ffmpeg's encoding
// of it) and NAME.dec.pcm (ffmpeg's decoding of NAME.g722); random.g722
// (random bytes: every code) with ffmpeg's decoding in each mode.
func TestVectors(t *testing.T) {
	if *update {
		requireFFmpeg(t)
		rnd := rand.New(rand.NewPCG(18, 722))
		for _, v := range vectors {
			pcm := signal(v.kind, v.n, v.f0, v.f1, v.amp, rnd)
			writeFile(t, filepath.Join(vectorDir, v.name+".pcm"), pcmBytes(pcm))
			enc := ffmpegEncode(t, t.TempDir(), pcm)
			writeFile(t, filepath.Join(vectorDir, v.name+".g722"), enc)
			writeFile(t, filepath.Join(vectorDir, v.name+".dec.pcm"), pcmBytes(ffmpegDecode(t, t.TempDir(), enc, Mode1)))
		}
		random := make([]byte, 4000)
		for i := range random {
			random[i] = byte(rnd.Uint32())
		}
		writeFile(t, filepath.Join(vectorDir, "random.g722"), random)
		for _, m := range []Mode{Mode1, Mode2, Mode3} {
			writeFile(t, filepath.Join(vectorDir, fmt.Sprintf("random.mode%d.pcm", m)), pcmBytes(ffmpegDecode(t, t.TempDir(), random, m)))
		}
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			pcm := pcmFrom(readFile(t, filepath.Join(vectorDir, v.name+".pcm")))
			enc := readFile(t, filepath.Join(vectorDir, v.name+".g722"))
			de := checkEncode(t, v.name, pcm, enc)
			dd := checkDecode(t, v.name, enc, Mode1, pcmFrom(readFile(t, filepath.Join(vectorDir, v.name+".dec.pcm"))))
			if de != encDiffers[v.name] || dd != decDiffers[v.name] {
				t.Errorf("%s: encoding differs from ffmpeg's %v (want %v), decoding %v (want %v)", v.name, de, encDiffers[v.name], dd, decDiffers[v.name])
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		data := readFile(t, filepath.Join(vectorDir, "random.g722"))
		for _, m := range []Mode{Mode1, Mode2, Mode3} {
			want := pcmFrom(readFile(t, filepath.Join(vectorDir, fmt.Sprintf("random.mode%d.pcm", m))))
			if checkDecode(t, "random", data, m, want) {
				t.Errorf("random bytes in %v decode differently from ffmpeg", m)
			}
		}
	})
}

// TestFFmpegLive runs ffmpeg on fresh signals (a new seed each run, logged)
// and compares both directions.
func TestFFmpegLive(t *testing.T) {
	requireFFmpeg(t)
	seed := rand.Uint64()
	if s := os.Getenv("G722_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with G722_SEED=%d)", seed, seed)
	rnd := rand.New(rand.NewPCG(seed, 722))
	dir := t.TempDir()
	var pcm []int16
	for range 6 {
		f0 := 20 + rnd.Float64()*7980
		f1 := 20 + rnd.Float64()*7980
		amp := rnd.Float64() * 60000
		kind := []string{"tone", "chirp", "noise", "silence", "extremes"}[rnd.IntN(5)]
		pcm = append(pcm, signal(kind, 320*(1+rnd.IntN(8)), f0, f1, amp, rnd)...)
	}
	enc := ffmpegEncode(t, dir, pcm)
	checkEncode(t, "live", pcm, enc)
	checkDecode(t, "live", enc, Mode1, ffmpegDecode(t, dir, enc, Mode1))
	random := make([]byte, 1600)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	for _, m := range []Mode{Mode1, Mode2, Mode3} {
		checkDecode(t, "live random", random, m, ffmpegDecode(t, dir, random, m))
	}
}
