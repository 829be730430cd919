package device_test

import (
	"testing"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

func TestAudioEventNames(t *testing.T) {
	t.Parallel()
	for k, want := range map[device.EventKind]string{device.EventAudioFault: "audio-fault", device.EventAudioOK: "audio-ok"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", int(k), got, want)
		}
	}
}

func TestSelfTestedPublishes(t *testing.T) {
	t.Parallel()
	clk := devicetest.NewClock()
	d, err := device.New(device.DefaultConfig(), device.Deps{Outputs: devicetest.NewOutputs(clk), Phone: &devicetest.Phone{}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := d.Subscribe(4)
	defer cancel()
	d.SelfTested(false, "speaker or microphone fault: silence")
	d.SelfTested(true, "pass")
	for _, want := range []device.EventKind{device.EventAudioFault, device.EventAudioOK} {
		if e := <-events; e.Kind != want || e.Reason == "" {
			t.Errorf("event %v %q, want %v with a reason", e.Kind, e.Reason, want)
		}
	}
}
