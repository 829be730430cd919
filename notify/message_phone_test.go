package notify

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestTextsAnalogPhone: the analog phone's events (no button) read as a
// phone's, not a door's.
func TestTextsAnalogPhone(t *testing.T) {
	t.Parallel()
	tx, err := newTexts(nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 18, 5, 0, 0, time.Local)
	for _, tc := range []struct {
		ev   device.Event
		want string
	}{
		{device.Event{Kind: device.EventRang, Button: -1, Incoming: true, Peer: "sip:alice@pbx"},
			"The phone is ringing: sip:alice@pbx is calling."},
		{device.Event{Kind: device.EventRang, Button: -1, Targets: []string{"1234"}}, "The phone is calling 1234."},
		{device.Event{Kind: device.EventMissed, Button: -1, Peer: "sip:alice@pbx", Time: at},
			"Missed call from sip:alice@pbx at 18:05."},
		{device.Event{Kind: device.EventMissed, Button: -1, Targets: []string{"1234"}, Time: at},
			"The phone's call to 1234 was not answered."},
		{device.Event{Kind: device.EventMissed, Button: 0, Time: at}, "Someone rang at 18:05 and nobody answered."},
	} {
		if got, err := tx.Render(PayloadOf(tc.ev, "")); err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.ev, got, err, tc.want)
		}
	}
}
