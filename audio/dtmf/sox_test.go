package dtmf_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
	"github.com/sipbell/sipbell/audio/wav"
)

// Digits synthesised by sox at 44.1 kHz, one frequency per stereo channel,
// come through the WAV reader (downmix, resampling to 8 kHz) and are
// detected in order.
func TestDetectSoxDigitsThroughWAV(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sox not found: CI must install Debian package sox")
		}
		t.Skip("sox not found: install Debian package sox to run this test")
	}
	const digits = "159#0*D"
	dir := t.TempDir()
	var parts []string
	for i := range len(digits) {
		row, col, _ := dtmf.Freqs(digits[i])
		p := filepath.Join(dir, fmt.Sprintf("%d.wav", i))
		cmd := exec.Command("sox", "-n", "-r", "44100", "-c", "2", "-b", "16", p,
			"synth", "0.06", "sine", fmt.Sprint(row), "sine", fmt.Sprint(col), "vol", "0.3", "pad", "0", "0.06")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sox: %v %s", err, msg)
		}
		parts = append(parts, p)
	}
	all := filepath.Join(dir, "all.wav")
	if msg, err := exec.Command("sox", append(parts, all)...).CombinedOutput(); err != nil {
		t.Fatalf("sox concat: %v %s", err, msg)
	}
	src, err := wav.Open(all)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := dtmf.NewDetector(dtmf.DefaultThresholds())
	var got []byte
	f := audio.NewFrame()
	for {
		if err := src.Read(context.Background(), f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = d.Process(got, f)
	}
	if string(got) != digits {
		t.Errorf("detected %q, want %q", got, digits)
	}
}
