package board

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// BenchmarkEdgeToEvent measures one gpiotest edge on a call button to its
// Event on the channel, on the sim board with the real clock. The figure
// includes the debounce time (1ms here; the default is 30ms), so the
// board's own overhead is ns/op minus 1ms.
func BenchmarkEdgeToEvent(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Pins.CallButtons = []PinConfig{{Debounce: time.Millisecond}}
	bd, err := Open(cfg, discard())
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	pin := bd.Sim().pins["GPIO17"]
	level := gpio.High
	b.ResetTimer()
	for b.Loop() {
		level = !level
		pin.EdgesChan <- level
		e := <-bd.Events()
		if (e.Kind == Press) != (level == gpio.Low) {
			b.Fatalf("edge %v gave %v", level, e.Kind)
		}
	}
}

// BenchmarkTimer1ms is the baseline to subtract from BenchmarkEdgeToEvent:
// what a 1ms timer really takes on this machine.
func BenchmarkTimer1ms(b *testing.B) {
	for b.Loop() {
		<-time.After(time.Millisecond)
	}
}
