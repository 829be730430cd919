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

// checkEncode encodes pcm with a fresh Encoder and compares with want.
func checkEncode(t *testing.T, name string, pcm []int16, want []byte) {
	t.Helper()
	got := make([]byte, len(pcm)/2)
	var e Encoder
	// Encode in 20 ms frames, as a call does.
	for i := 0; i < len(got); i += 160 {
		e.Encode(got[i:], pcm[2*i:min(2*i+320, len(pcm))])
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes encoded, ffmpeg %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: byte %d of %d is %#02x, ffmpeg %#02x", name, i, len(got), got[i], want[i])
		}
	}
}

// checkDecode decodes data with a fresh Decoder in mode m and compares.
func checkDecode(t *testing.T, name string, data []byte, m Mode, want []int16) {
	t.Helper()
	got := make([]int16, 2*len(data))
	d := Decoder{Mode: m}
	for i := 0; i < len(data); i += 160 {
		d.Decode(got[2*i:], data[i:min(i+160, len(data))])
	}
	if len(got) != len(want) {
		t.Fatalf("%s %v: %d samples decoded, ffmpeg %d", name, m, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s %v: sample %d of %d is %d, ffmpeg %d", name, m, i, len(got), got[i], want[i])
		}
	}
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
}

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
			checkEncode(t, v.name, pcm, enc)
			checkDecode(t, v.name, enc, Mode1, pcmFrom(readFile(t, filepath.Join(vectorDir, v.name+".dec.pcm"))))
		})
	}
	t.Run("random", func(t *testing.T) {
		data := readFile(t, filepath.Join(vectorDir, "random.g722"))
		for _, m := range []Mode{Mode1, Mode2, Mode3} {
			want := pcmFrom(readFile(t, filepath.Join(vectorDir, fmt.Sprintf("random.mode%d.pcm", m))))
			checkDecode(t, "random", data, m, want)
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
