package device_test

import (
	"context"
	"fmt"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

// A door station wired to fakes: the visitor presses the button, the
// resident answers and presses "#", the relay pulses. cmd/sipbell wires
// the real board, user agent and speaker the same way, feeding their
// event channels in with device.Forward.
func Example() {
	clk := devicetest.NewClock()
	out := devicetest.NewOutputs(clk)
	phone := &devicetest.Phone{}
	cfg := device.DefaultConfig()
	cfg.Buttons[0].Targets = []string{"sip:resident@pbx.example"}

	d, err := device.New(cfg, device.Deps{Outputs: out, Phone: phone, Clock: clk})
	if err != nil {
		fmt.Println(err)
		return
	}
	events, _ := d.Subscribe(16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()

	_ = d.Input(ctx, device.Input{Kind: device.ButtonPress, Button: 0})
	_ = d.PhoneEvent(ctx, device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1",
		Peer: "sip:resident@pbx.example", State: device.CallAnswered})
	_ = d.PhoneEvent(ctx, device.PhoneEvent{Kind: device.PhoneDTMF, CallID: "c1", Digit: '#'})
	for e := range events {
		fmt.Println(e)
		if e.Kind == device.EventDoorOpened {
			break
		}
	}
	cancel()
	<-done
	fmt.Println(phone.Calls())
	fmt.Println(out.Patterns(device.CallLED), out.Patterns(device.DoorRelay))
	// Output:
	// rang button=0 targets=[sip:resident@pbx.example]
	// answered sip:resident@pbx.example incoming=false
	// door-opened by sip:resident@pbx.example
	// [dial sip:resident@pbx.example → c1 hangup c1]
	// [fast blink on off] [pulse 3s]
}
