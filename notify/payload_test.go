package notify

import (
	"testing"

	"github.com/sipbell/sipbell/device"
)

// TestPayloadButton: the payload numbers call buttons from 1, as the
// panel does (device events count from 0), so the first button is not
// dropped from the JSON as a zero value.
func TestPayloadButton(t *testing.T) {
	for _, tc := range []struct {
		ev   device.Event
		want int
	}{
		{device.Event{Kind: device.EventRang, Button: 0}, 1},
		{device.Event{Kind: device.EventMissed, Button: 2}, 3},
		{device.Event{Kind: device.EventBusy, Button: 0}, 1},
		{device.Event{Kind: device.EventAnswered, Button: 0}, 1},
		{device.Event{Kind: device.EventAnswered, Incoming: true}, 0}, // a monitoring call has no button
		{device.Event{Kind: device.EventDoorOpened}, 0},
	} {
		if got := PayloadOf(tc.ev, "door").Button; got != tc.want {
			t.Errorf("PayloadOf(%v).Button = %d, want %d", tc.ev, got, tc.want)
		}
	}
}
