//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio"
)

// TestPCMTryRead: TryRead takes what the device has captured without ever
// waiting for it (no "poll"), keeps a part of a frame for the next call,
// recovers from an overrun, and fails on a device that went away; a
// capture device is a TryReader for a call's media loop.
func TestPCMTryRead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  []error // the transfers' results
		partial bool    // the card has half of what is asked
		want    []bool  // TryRead's results, one per call
		err     error   // the last call's error
		xruns   int
		first   int16 // the first sample of the frame read
	}{
		{"a frame captured", nil, false, []bool{true}, nil, 0, 0},
		{"nothing captured", []error{unix.EAGAIN}, false, []bool{false}, nil, 0, 0},
		{"a part, then the rest", []error{nil, unix.EAGAIN}, true, []bool{false, true}, nil, 0, 0},
		{"an overrun", []error{unix.EPIPE}, false, []bool{false, true}, nil, 1, 0},
		{"a part, an overrun, a frame", []error{nil, unix.EPIPE}, true, []bool{false, true}, nil, 1, 80},
		{"the device went away", []error{unix.ENODEV}, false, []bool{false}, ErrNoDevice, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := newCard()
			card.channels = []uint32{2}
			d, err := openCapture(context.Background(), card, Options{Device: "hw:0,0", Rate: 8000, Channels: 2}, clk())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, ok := audio.TryReaderOf(audio.NewGainSource(d, 0)); !ok {
				t.Fatal("a capture device (with a gain) is not a TryReader")
			}
			card.mu.Lock()
			card.script, card.partial = tc.script, tc.partial
			card.mu.Unlock()
			frame := make([]int16, 160)
			for i, want := range tc.want {
				if i == 1 {
					card.mu.Lock()
					card.partial = false
					card.mu.Unlock()
				}
				ok, err := d.TryRead(frame)
				if i == len(tc.want)-1 && !errors.Is(err, tc.err) || i < len(tc.want)-1 && err != nil {
					t.Fatalf("TryRead %d: %v, want %v", i, err, tc.err)
				}
				if ok != want {
					t.Fatalf("TryRead %d: %v, want %v", i, ok, want)
				}
			}
			if n := card.count("poll"); n != 0 {
				t.Errorf("TryRead waited for the device %d times", n)
			}
			if got := d.XRuns(); got != tc.xruns {
				t.Errorf("xruns %d, want %d", got, tc.xruns)
			}
			if tc.want[len(tc.want)-1] {
				for i, v := range frame {
					if v != tc.first+int16(i) {
						t.Fatalf("sample %d is %d, want %d (the frame in order)", i, v, tc.first+int16(i))
					}
				}
			}
		})
	}
}
