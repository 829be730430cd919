package devicetest

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

func TestClockTimers(t *testing.T) {
	c := NewClock()
	a, b := c.NewTimer(time.Second), c.NewTimer(2*time.Second)
	c.Advance(999 * time.Millisecond)
	select {
	case <-a.C():
		t.Fatal("timer fired early")
	default:
	}
	c.Advance(time.Millisecond)
	select {
	case <-a.C():
	default:
		t.Fatal("timer did not fire on time")
	}
	if !b.Stop() || b.Stop() {
		t.Error("Stop: want true for an armed timer, then false")
	}
	c.Advance(time.Hour)
	select {
	case <-b.C():
		t.Error("a stopped timer fired")
	default:
	}
	if c.Pending() != 0 {
		t.Errorf("%d timers pending", c.Pending())
	}
	select {
	case <-c.NewTimer(0).C():
	default:
		t.Error("a zero timer did not fire at once")
	}
}

func TestOutputsActive(t *testing.T) {
	c := NewClock()
	start := c.Now()
	o := NewOutputs(c)
	_ = o.Set(device.DoorRelay, 0, device.Pattern{Kind: device.Pulse, Duration: 3 * time.Second})
	c.Advance(5 * time.Second)
	_ = o.Set(device.DoorRelay, 0, device.Pattern{Kind: device.Pulse, Duration: 3 * time.Second})
	c.Advance(time.Second)
	_ = o.Set(device.DoorRelay, 0, device.Pattern{Kind: device.Off})
	_ = o.Set(device.CallLED, 0, device.Pattern{Kind: device.On})
	c.Advance(time.Second)
	got := o.Active(device.DoorRelay, c.Now())
	want := []Interval{{start, start.Add(3 * time.Second)}, {start.Add(5 * time.Second), start.Add(6 * time.Second)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("relay active %v, want %v", got, want)
	}
	if led := o.Active(device.CallLED, c.Now()); len(led) != 1 || led[0].Duration() != time.Second {
		t.Errorf("call LED active %v, want one second", led)
	}
}
