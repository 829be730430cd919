package main

import (
	"context"
	"strings"

	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/presence"
)

// maxShownCalls bounds the dialogs a dialog-info NOTIFY shows (the UA's
// own call limit is far below it).
const maxShownCalls = 16

// callDialogs is the dialog package's view of the user agent's calls (RFC
// 4235): each call with the Call-ID and tags as on the wire, its direction
// and its state, so that a BLF key can pick a ringing door call up with
// INVITE + Replaces. One goroutine (followCalls) changes it, under
// simple.mu.
type callDialogs struct {
	order []string // call handles, oldest first
	byID  map[string]presence.Dialog
}

// followCalls feeds the UA's call events into the watchers' dialogs
// until ctx ends.
func (s *simple) followCalls(ctx context.Context, events <-chan ua.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if ev.Kind == ua.EventIncomingCall || ev.Kind == ua.EventCallState {
				s.callEvent(ev)
			}
		}
	}
}

// callEvent records one call event and shows the calls to the watchers.
// A call that ended is shown once as terminated, then dropped.
func (s *simple) callEvent(ev ua.Event) {
	d, ok := dialogOf(ev, s.entity, s.contact)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.calls
	if _, known := c.byID[d.ID]; !known {
		if d.State == presence.Terminated {
			return
		}
		if len(c.order) >= maxShownCalls { // an end was missed (events dropped): the oldest goes
			delete(c.byID, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, d.ID)
	}
	c.byID[d.ID] = d
	s.watchers.SetCalls(s.status, c.list())
	if d.State == presence.Terminated {
		delete(c.byID, d.ID)
		c.order = removeString(c.order, d.ID)
	}
}

// list returns the calls, oldest first.
func (c *callDialogs) list() []presence.Dialog {
	out := make([]presence.Dialog, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.byID[id])
	}
	return out
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// dialogOf turns a call event into the dialog watchers see; false for an
// event without a call or a dialog not yet on the wire.
func dialogOf(ev ua.Event, entity, contact string) (presence.Dialog, bool) {
	if ev.CallID == "" || ev.Dialog.CallID == "" {
		return presence.Dialog{}, false
	}
	d := presence.Dialog{ID: ev.CallID, CallID: ev.Dialog.CallID, LocalTag: ev.Dialog.LocalTag,
		RemoteTag: ev.Dialog.RemoteTag, Direction: presence.Initiator,
		Local: presence.Identity{URI: entity, Target: contact}, Remote: presence.Identity{URI: peerURI(ev.Peer)}}
	if ev.Incoming {
		d.Direction = presence.Recipient
	}
	switch {
	case ev.Kind == ua.EventIncomingCall, ev.State == ua.CallCalling, ev.State == ua.CallIncoming:
		d.State = presence.Trying
	case ev.State == ua.CallRinging:
		d.State = presence.Early
		if d.RemoteTag == "" && !ev.Incoming { // a 180 without a To tag
			d.State = presence.Proceeding
		}
	case ev.State == ua.CallAnswered:
		d.State = presence.Confirmed
	default:
		d.State = presence.Terminated
		switch {
		case ev.Code == 487:
			d.Event = "cancelled"
		case ev.Code >= 300:
			d.Event = "rejected"
		}
		if ev.Code >= 100 && ev.Code <= 699 {
			d.Code = ev.Code
		}
	}
	return d, true
}

// peerURI takes the URI out of a peer as events give it ("sip:bob@pbx",
// or `"Bob" <sip:bob@pbx>`); "" when it is none.
func peerURI(peer string) string {
	if i := strings.IndexByte(peer, '<'); i >= 0 {
		if j := strings.IndexByte(peer[i:], '>'); j > 0 {
			peer = peer[i+1 : i+j]
		}
	}
	peer = strings.TrimSpace(peer)
	low := strings.ToLower(peer)
	if strings.HasPrefix(low, "sip:") || strings.HasPrefix(low, "sips:") || strings.HasPrefix(low, "tel:") {
		if !strings.ContainsAny(peer, " \t\r\n<>\"") {
			return peer
		}
	}
	return ""
}
