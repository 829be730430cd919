package notify

import (
	"testing"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/ua/presence"
)

func TestPresenceTracker(t *testing.T) {
	t.Parallel()
	steps := []struct {
		ev      device.EventKind
		want    presence.State
		changed bool
	}{
		{device.EventRegistration, presence.Idle, false},
		{device.EventRang, presence.Ringing, true},
		{device.EventAnswered, presence.InCall, true},
		{device.EventDoorOpened, presence.InCall, false},
		{device.EventDoorLeftOpen, presence.InCall, false}, // the call shows first
		{device.EventCallEnded, presence.Away, true},
		{device.EventRang, presence.Ringing, true},
		{device.EventMissed, presence.Away, true},
		{device.EventDoorClosed, presence.Idle, true},
		{device.EventRang, presence.Ringing, true},
		{device.EventBusy, presence.Idle, true},
		{device.EventAnswered, presence.InCall, true}, // an incoming monitoring call
		{device.EventCallEnded, presence.Idle, true},
	}
	var tr PresenceTracker
	for i, s := range steps {
		st, changed := tr.Apply(device.Event{Kind: s.ev})
		if st.State != s.want || changed != s.changed {
			t.Fatalf("step %d (%v): %v changed=%v, want %v changed=%v", i, s.ev, st.State, changed, s.want, s.changed)
		}
		if st.State == presence.Away && st.Note != DoorLeftOpenNote {
			t.Errorf("away without the note: %+v", st)
		}
	}
}
