package notify

import (
	"testing"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestPresenceAudioFault: a failed self-test shows as away with its note
// while idle; a passing one clears it; a door left open shows first.
func TestPresenceAudioFault(t *testing.T) {
	t.Parallel()
	steps := []struct {
		ev      device.EventKind
		want    presence.State
		note    string
		changed bool
	}{
		{device.EventAudioFault, presence.Away, AudioFaultNote, true},
		{device.EventRang, presence.Ringing, "", true},
		{device.EventMissed, presence.Away, AudioFaultNote, true},
		{device.EventDoorLeftOpen, presence.Away, DoorLeftOpenNote, true},
		{device.EventDoorClosed, presence.Away, AudioFaultNote, true},
		{device.EventAudioOK, presence.Idle, "", true},
		{device.EventAudioOK, presence.Idle, "", false},
	}
	var tr PresenceTracker
	for i, s := range steps {
		st, changed := tr.Apply(device.Event{Kind: s.ev})
		if st.State != s.want || st.Note != s.note || changed != s.changed {
			t.Fatalf("step %d (%v): %+v changed=%v, want %v %q changed=%v", i, s.ev, st, changed, s.want, s.note, s.changed)
		}
	}
	if _, err := newTexts(nil); err != nil {
		t.Fatal(err)
	}
}
