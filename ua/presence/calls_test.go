package presence

import (
	"testing"
	"time"
)

// TestManagerSetCalls: with SetCalls the dialog package shows the calls
// as given, Call-ID, tags and direction included, and no dialog when none
// is given even while the status says ringing (Set would derive one
// without IDs, which a BLF key cannot pick up).
func TestManagerSetCalls(t *testing.T) {
	t.Parallel()
	r := newMgrRig(t, ManagerConfig{})
	f := newFakeNotifier()
	req := sub(EventDialog, time.Hour)
	if a := r.subscribe(req, f); a.Status != 200 {
		t.Fatalf("answer %+v", a)
	}
	f.next(t) // the initial NOTIFY
	early := Dialog{ID: "c1", CallID: "8f2a@door", LocalTag: "door-tag", RemoteTag: "bob-tag", Direction: Initiator,
		State: Early, Local: Identity{URI: "sip:door@pbx.example"}, Remote: Identity{URI: "sip:bob@pbx.example"}}
	for i, tc := range []struct {
		st    State
		calls []Dialog
	}{
		{Ringing, []Dialog{early}},
		{Ringing, nil}, // the call is gone before the status: nothing derived
	} {
		r.m.SetCalls(Status{State: tc.st}, tc.calls)
		di, err := ParseDialogInfo(f.next(t).Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(di.Dialogs) != len(tc.calls) {
			t.Fatalf("step %d: %d dialogs %+v, want %d", i, len(di.Dialogs), di.Dialogs, len(tc.calls))
		}
		if len(tc.calls) > 0 && di.Dialogs[0] != tc.calls[0] {
			t.Errorf("step %d: NOTIFY shows %+v, want %+v", i, di.Dialogs[0], tc.calls[0])
		}
	}
}
