package board

import (
	"testing"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// heldPin is a spy pin held at level whatever pull it is given (a
// switch that is closed or open).
type heldPin struct {
	*spyPin
	level gpio.Level
}

func (p *heldPin) In(pull gpio.Pull, edge gpio.Edge) error {
	err := p.spyPin.In(pull, edge)
	p.Pin.Lock()
	p.Pin.L = p.level
	p.Pin.Unlock()
	return err
}

// TestDNDSwitchAtStart: a do-not-disturb switch already on when the
// board opens is reported at once (a press), so the door starts in
// do-not-disturb; off at start, nothing is reported.
func TestDNDSwitchAtStart(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		level gpio.Level // the switch to GND, active low
		want  bool
	}{{"on", gpio.Low, true}, {"off", gpio.High, false}} {
		t.Run(tt.name, func(t *testing.T) {
			fc := clockwork.NewFakeClock()
			sw := &heldPin{newSpy("GPIO6", fc), tt.level}
			f := &fakeHardware{clk: fc, pins: map[string]gpio.PinIO{
				"GPIO17": newSpy("GPIO17", fc), "GPIO6": sw, "GPIO27": &gpiotest.Pin{N: "GPIO27"},
				"GPIO22": &gpiotest.Pin{N: "GPIO22"}, "GPIO23": &gpiotest.Pin{N: "GPIO23"}, "GPIO5": &gpiotest.Pin{N: "GPIO5"},
			}}
			none := PinConfig{Pin: "none"}
			cfg := Config{Profile: "rpi", Pins: Pins{DoorContact: &none, HookSwitch: &none, DNDSwitch: &PinConfig{Pin: "GPIO6"}}}
			b, err := Open(cfg, discard(), WithClock(fc), withHardware(f.hardware(0)))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if !tt.want {
				noEvent(t, b)
				return
			}
			if e := nextEvent(t, b); e.Role != DNDSwitch || e.Kind != Press {
				t.Fatalf("event %+v, want the DND switch's press", e)
			}
		})
	}
}
