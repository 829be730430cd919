// Command aecbench compares sipbell's echo canceller with speexdsp's on the
// same synthetic rooms (scripts/aec-bench.sh builds the speech with
// espeak-ng and the speexdsp harness, then runs this). For each room it
// writes the far-end and microphone signals as raw 16-bit files, runs the
// speexdsp harness on them and sipbell's canceller in-process, and prints
// ERLE over time, convergence, near-end preservation in double talk and
// re-convergence after an echo-path change.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sipbell/sipbell/audio/aec"
	"github.com/sipbell/sipbell/audio/aec/internal/room"
)

// Timeline of every scene (seconds).
const (
	seconds  = 20.0
	nearFrom = 10.0 // double talk from here ...
	nearTo   = 13.0 // ... to here
	changeAt = 15.0 // echo path change
)

func main() {
	rate := flag.Int("rate", 8000, "sample rate, Hz")
	farPath := flag.String("far", "", "far-end speech, raw s16le mono at -rate")
	nearPath := flag.String("near", "", "near-end speech, raw s16le mono at -rate")
	speex := flag.String("speex", "", "speexdsp harness binary (scripts/aec-speex.c)")
	work := flag.String("work", os.TempDir(), "directory for the raw files")
	clip := flag.Float64("clip", 6000, "speaker soft-clip limit (0: linear)")
	flag.Parse()
	far, err := readRaw(*farPath)
	check(err)
	near, err := readRaw(*nearPath)
	check(err)
	fmt.Printf("%-6s %-4s %-14s %8s %8s %8s %8s %8s %8s\n", "rate", "T60", "canceller",
		"t->15dB", "ERLEss", "DTsegSNR", "reconv", "ERLEchg", "ERLEend")
	speexCPU := map[string]string{}
	for _, t60 := range []float64{0.2, 0.4, 0.6} {
		sp := room.Spec{Rate: *rate, Seconds: seconds, T60: t60, DRR: 8, FarRMS: 3000, EchoGain: 0.7,
			NearRMS: 1500, NoiseRMS: 8, Clip: *clip, NearFrom: nearFrom, NearTo: nearTo,
			ChangeAt: changeAt, Seed: 11, FarSignal: far, NearSignal: near}
		sc := room.Build(sp)
		dir := filepath.Join(*work, fmt.Sprintf("r%d-t%.1f", *rate, t60))
		check(os.MkdirAll(dir, 0o755))
		check(writeRaw(filepath.Join(dir, "far.raw"), room.PCM(sc.Far)))
		check(writeRaw(filepath.Join(dir, "mic.raw"), room.PCM(sc.Mic)))
		row := func(name string, out []float64) {
			fmt.Printf("%-6d %-4.1f %-14s %s\n", *rate, t60, name, score(sc, align(sc, out)))
		}
		row("off", sc.Mic)
		tail := *rate * 128 / 1000
		for _, mode := range []string{"ec", "ecpp"} {
			if *speex == "" {
				break
			}
			out, cpu := runSpeex(*speex, dir, *rate, tail, mode)
			row("speex-"+mode, out)
			speexCPU[mode] = cpu
		}
		row("sipbell-linear", runSipbell(sc, aec.Config{SampleRate: *rate, SuppressDB: -1}))
		row("sipbell", runSipbell(sc, aec.Config{SampleRate: *rate}))
	}
	if *speex != "" {
		fmt.Printf("speexdsp CPU per 20 ms frame at %d Hz (this machine, gcc -O2): ec %s us, ec+preprocess %s us\n",
			*rate, speexCPU["ec"], speexCPU["ecpp"])
	}
}

// score formats the measures of one output.
func score(sc room.Scene, out []float64) string {
	track := room.ERLETrack(sc.Mic, out, sc.Echo, sc.Rate, 0.25)
	conv := reach(track, 0, 15, 0.25)
	reconv := reach(track, changeAt, 15, 0.25)
	if !math.IsNaN(reconv) {
		reconv -= changeAt
	}
	if os.Getenv("AECBENCH_TRACK") != "" {
		for i := int(changeAt/0.25) - 2; i < int(changeAt/0.25)+10; i++ {
			fmt.Printf("%5.1f ", track[i])
		}
	}
	return fmt.Sprintf("%8s %8.1f %8.1f %8s %8.1f %8.1f", secs(conv),
		room.ERLE(sc.Mic, out, sc.Echo, sc.Rate, 5, nearFrom),
		room.SegSNR(sc.Near, out, sc.Rate, nearFrom, nearTo), secs(reconv),
		room.ERLE(sc.Mic, out, sc.Echo, sc.Rate, changeAt, changeAt+2),
		room.ERLE(sc.Mic, out, sc.Echo, sc.Rate, changeAt+2, seconds))
}

// reach returns the time of the first window at or after from whose ERLE
// is at least db (NaN if none).
func reach(track []float64, from, db, win float64) float64 {
	for i := int(from / win); i < len(track); i++ {
		if track[i] >= db {
			return float64(i) * win
		}
	}
	return math.NaN()
}

func secs(v float64) string {
	if math.IsNaN(v) {
		return "never"
	}
	return fmt.Sprintf("%.2fs", v)
}

// align shifts out by the lag (0 to 40 ms) that best matches the near-end
// talker, so that outputs with latency are compared fairly.
func align(sc room.Scene, out []float64) []float64 {
	a, b := int(nearFrom*float64(sc.Rate)), int(nearTo*float64(sc.Rate))
	best, lag := math.Inf(-1), 0
	for l := 0; l <= sc.Rate/25; l++ {
		var c float64
		for i := a; i < b && i+l < len(out); i++ {
			c += sc.Near[i] * out[i+l]
		}
		if c > best {
			best, lag = c, l
		}
	}
	res := make([]float64, len(out))
	copy(res, out[lag:])
	return res
}

func runSipbell(sc room.Scene, cfg aec.Config) []float64 {
	c, err := aec.New(cfg)
	check(err)
	far, mic := room.PCM(sc.Far), room.PCM(sc.Mic)
	out := make([]int16, len(mic))
	frame := sc.Rate / 50
	for off := 0; off+frame <= len(mic); off += frame {
		check(c.Process(far[off:off+frame], mic[off:off+frame], out[off:off+frame]))
	}
	return room.Float(out)
}

// runSpeex runs the harness and returns its output and its CPU time per
// frame in microseconds.
func runSpeex(bin, dir string, rate, tail int, mode string) ([]float64, string) {
	out := filepath.Join(dir, "speex-"+mode+".raw")
	cmd := exec.Command(bin, fmt.Sprint(rate), fmt.Sprint(tail), mode,
		filepath.Join(dir, "far.raw"), filepath.Join(dir, "mic.raw"), out)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		check(fmt.Errorf("speexdsp harness: %v: %s", err, strings.TrimSpace(string(msg))))
	}
	pcm, err := readRaw(out)
	check(err)
	cpu := "?"
	if f := strings.Fields(string(msg)); len(f) == 4 {
		cpu = f[3]
	}
	return pcm, cpu
}

func readRaw(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read raw %s: %w", path, err)
	}
	out := make([]float64, len(b)/2)
	for i := range out {
		out[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	}
	return out, nil
}

func writeRaw(path string, pcm []int16) error {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write raw %s: %w", path, err)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "aecbench:", err)
		os.Exit(1)
	}
}
