package main

import (
	"fmt"
	"testing"

	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestDialogOf: how call events become RFC 4235 dialogs.
func TestDialogOf(t *testing.T) {
	t.Parallel()
	ids := ua.DialogID{CallID: "c@door", LocalTag: "l", RemoteTag: "r"}
	noTag := ua.DialogID{CallID: "c@door", LocalTag: "l"}
	for _, tc := range []struct {
		name  string
		ev    ua.Event
		ok    bool
		state presence.DialogState
		dir   presence.Direction
		event string
	}{
		{"no dialog on the wire yet", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallCalling}, false, "", "", ""},
		{"outgoing ringing", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallRinging, Dialog: ids}, true, presence.Early, presence.Initiator, ""},
		{"180 without a tag", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallRinging, Dialog: noTag}, true, presence.Proceeding, presence.Initiator, ""},
		{"incoming call", ua.Event{Kind: ua.EventIncomingCall, CallID: "h", Incoming: true, Dialog: ids}, true, presence.Trying, presence.Recipient, ""},
		{"incoming ringing", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallRinging, Incoming: true, Dialog: ids}, true, presence.Early, presence.Recipient, ""},
		{"answered", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallAnswered, Dialog: ids}, true, presence.Confirmed, presence.Initiator, ""},
		{"cancelled", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallEnded, Code: 487, Dialog: ids}, true, presence.Terminated, presence.Initiator, "cancelled"},
		{"busy", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallEnded, Code: 486, Dialog: ids}, true, presence.Terminated, presence.Initiator, "rejected"},
		{"hung up", ua.Event{Kind: ua.EventCallState, CallID: "h", State: ua.CallEnded, Dialog: ids}, true, presence.Terminated, presence.Initiator, ""},
	} {
		d, ok := dialogOf(tc.ev, "sip:door@pbx", "sip:door@192.0.2.1")
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if d.State != tc.state || d.Direction != tc.dir || d.Event != tc.event || d.CallID != "c@door" || d.LocalTag != "l" {
			t.Errorf("%s: %+v", tc.name, d)
		}
		if _, err := (presence.DialogInfo{Entity: "sip:door@pbx", Dialogs: []presence.Dialog{d}}).Marshal(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestPeerURI: the URI of a peer as events give it, never a display name
// or anything that is not a SIP or tel URI.
func TestPeerURI(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sip:bob@pbx":               "sip:bob@pbx",
		`"Bob" <sip:bob@pbx;x=1>`:   "sip:bob@pbx;x=1",
		"<tel:+4930123>":            "tel:+4930123",
		"http://evil":               "",
		`"<sip:a@b>" <sip:bob@pbx>`: "sip:a@b", // a quoted "<" is not parsed: still only a URI
		"":                          "",
	} {
		if got := peerURI(in); got != want {
			t.Errorf("peerURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCallDialogsBounded: calls whose end was never reported (events
// dropped) do not pile up: past maxShownCalls the oldest is dropped and
// the newest call is still shown; an ended call is shown once, then gone.
func TestCallDialogsBounded(t *testing.T) {
	t.Parallel()
	m, err := presence.NewManager(presence.ManagerConfig{Entity: "sip:door@pbx"},
		func(presence.SubscribeRequest) bool { return true }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &simple{watchers: m, entity: "sip:door@pbx", calls: callDialogs{byID: map[string]presence.Dialog{}}}
	ring := func(id string) ua.Event {
		return ua.Event{Kind: ua.EventCallState, CallID: id, State: ua.CallRinging,
			Dialog: ua.DialogID{CallID: id + "@door", LocalTag: "l", RemoteTag: "r"}}
	}
	for i := range maxShownCalls + 3 {
		s.callEvent(ring(fmt.Sprintf("c%d", i)))
	}
	list := s.calls.list()
	if len(list) != maxShownCalls || list[len(list)-1].ID != fmt.Sprintf("c%d", maxShownCalls+2) || list[0].ID != "c3" {
		t.Fatalf("%d calls shown, first %s, last %s", len(list), list[0].ID, list[len(list)-1].ID)
	}
	end := ring("c3")
	end.State = ua.CallEnded
	s.callEvent(end)
	if got := len(s.calls.list()); got != maxShownCalls-1 {
		t.Errorf("after an end %d calls shown, want %d", got, maxShownCalls-1)
	}
}
