package interop

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Independent decoders for the signals sipbell makes for an analog phone
// (caller ID, DTMF): Debian's multimon-ng and minimodem, run on a WAV file
// of 8 kHz samples. Each needs its binary (Need: fails under CI=true when
// missing); multimon-ng's WAV input also needs sox.

// Multimon runs `multimon-ng -q -r -t wav -a DEMOD` on samples (8 kHz mono)
// and returns its standard output: one line per decoded item, for example
// "CLIPFSK: CS DATE=01151230 CID=0301234567 CNT=DOOR STATION" or
// "DTMF: 5".
func Multimon(t testing.TB, demod string, samples []int16) string {
	t.Helper()
	bin := Need(t, "multimon-ng", "multimon-ng")
	Need(t, "sox", "sox")
	return runDecoder(t, samples, bin, "-q", "-r", "-t", "wav", "-a", demod)
}

// Minimodem runs `minimodem --rx -q -f FILE` with args (for example
// "1200", or "-M", "1300", "-S", "2100", "1200", or "callerid") on samples
// (8 kHz mono) and returns its standard output: the raw received bytes in
// a data mode, the decoded text in callerid mode.
func Minimodem(t testing.TB, samples []int16, args ...string) string {
	t.Helper()
	bin := Need(t, "minimodem", "minimodem")
	return runDecoder(t, samples, bin, append([]string{"--rx", "-q"}, args...)...)
}

// runDecoder writes samples to a WAV file, appends its path to args (after
// "-f" for minimodem) and returns the decoder's standard output.
func runDecoder(t testing.TB, samples []int16, bin string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signal.wav")
	WriteWAV(t, path, samples)
	if filepath.Base(bin) == "minimodem" {
		args = append(args[:2:2], append([]string{"-f", path}, args[2:]...)...)
	} else {
		args = append(args, path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout: %s\nstderr: %s", bin, args, err, out.Bytes(), errb.Bytes())
	}
	return out.String()
}
