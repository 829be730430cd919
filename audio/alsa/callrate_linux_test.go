//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"testing"
)

// TestCallRate16k: a wideband (G.722) call's devices take 20 ms frames of
// 320 samples: a card at 16 kHz is read without resampling, a card at
// 48 kHz is written three samples per call sample.
func TestCallRate16k(t *testing.T) {
	ctx := context.Background()
	card := newCard()
	d, err := openCapture(ctx, card, Options{Device: "hw:0,0", Rate: 16000, CallRate: 16000}, clk())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := make([]int16, 320)
	if err := d.Read(ctx, f); err != nil {
		t.Fatal(err)
	}
	for i, v := range f { // the card's samples 0,1,2... as they came
		if v != int16(i) {
			t.Fatalf("sample %d = %d: resampled at 16 kHz", i, v)
		}
	}
	card = newCard()
	p, err := openPlayback(ctx, card, Options{Device: "hw:0,0", Rate: 48000, CallRate: 16000}, clk())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 5 {
		if err := p.Write(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if want := 5 * 960; len(card.written) != want { // mono
		t.Fatalf("wrote %d samples for five 320-sample frames, want %d", len(card.written), want)
	}
}
