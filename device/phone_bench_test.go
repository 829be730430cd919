package device_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

// benchHandset signals each tone started.
type benchHandset struct{ tones chan tone.Kind }

func (h benchHandset) Tone(k tone.Kind) error { h.tones <- k; return nil }
func (benchHandset) Play([]int16) error       { return nil }
func (benchHandset) Quiet() error             { return nil }
func (benchHandset) Listen(bool) error        { return nil }

// dialSignal is a Phone that signals each Dial.
type dialSignal struct {
	devicetest.Phone
	dialled chan string
}

func (p *dialSignal) Dial(ctx context.Context, targets []string) (string, error) {
	id, err := p.Phone.Dial(ctx, targets)
	p.dialled <- targets[0]
	return id, err
}

// BenchmarkPhoneLatency measures, on the real clock and through the
// device's goroutine, an off-hook edge to the dial tone being started
// (this includes the pulse decoder's 5 ms debounce; the board's own
// comes before the edge reaches the device), and the last key of a
// number the digit map matches uniquely to Dial (the user agent's INVITE
// follows).
func BenchmarkPhoneLatency(b *testing.B) {
	cfg := device.DefaultConfig()
	cfg.Mode = device.ModeATA
	cfg.Phone.DialPlan.DigitMap = "(1xxx)"
	var toTone, toDial time.Duration
	for range b.N {
		h := benchHandset{tones: make(chan tone.Kind, 4)}
		ph := &dialSignal{dialled: make(chan string, 1)}
		d, err := device.New(cfg, device.Deps{Outputs: devicetest.NewOutputs(device.SystemClock{}), Phone: ph,
			Handset: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		t0 := time.Now()
		d.Input(ctx, device.Input{Kind: device.HookOff, Time: t0})
		<-h.tones
		toTone += time.Since(t0)
		d.Input(ctx, device.Input{Kind: device.HandsetDigit, Digit: '1'})
		d.Input(ctx, device.Input{Kind: device.HandsetDigit, Digit: '0'})
		d.Input(ctx, device.Input{Kind: device.HandsetDigit, Digit: '0'})
		t1 := time.Now()
		d.Input(ctx, device.Input{Kind: device.HandsetDigit, Digit: '0'})
		<-ph.dialled
		toDial += time.Since(t1)
		cancel()
		<-done
	}
	b.ReportMetric(float64(toTone.Microseconds())/float64(b.N), "µs-offhook-to-dialtone")
	b.ReportMetric(float64(toDial.Microseconds())/float64(b.N), "µs-lastkey-to-dial")
}
