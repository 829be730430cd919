package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/internal/localzone"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
)

// historyDir is where the event history lives, under the state directory.
const historyDir = "history"

// openHistory opens the device's event history in the state directory and
// records this start. Without it (a read-only state dir) the device runs
// on, with the reason logged.
func openHistory(stateDir string, log *slog.Logger) *history.Log {
	h, err := history.Open(filepath.Join(stateDir, historyDir), history.Options{Zone: localzone.Zone})
	if err != nil {
		log.Warn("event history not kept", "err", err)
		return nil
	}
	if err := h.Add(history.Entry{Kind: history.KindStart, Detail: "version " + versionString()}); err != nil {
		log.Warn("event history not written", "err", err)
	}
	return h
}

// closeHistory writes and syncs the history's queued entries and closes
// it (a clean shutdown loses none).
func closeHistory(h *history.Log, log *slog.Logger) {
	if h == nil {
		return
	}
	if err := h.Close(); err != nil {
		log.Warn("event history not fully written", "err", err)
	}
}

// recordHistory writes what happens on core c into the history: rings,
// answers, missed calls, door openings (the device's events) and each
// registration change with its reason (the user agent's events). It
// subscribes at once, so call it before the event pumps start.
func (c *core) recordHistory(ctx context.Context, a *app, dev *device.Device) {
	if a.hist == nil {
		return
	}
	devEvents, cancel := dev.Subscribe(256)
	uaEvents := c.subscribeUA(256)
	r := &recorder{h: a.hist, log: a.log.With("component", "history"), calls: map[string]bool{}, regs: map[string]string{},
		media: map[string]string{}}
	c.goRun(ctx, a, "history", func(ctx context.Context) error {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case ev, ok := <-devEvents:
				if !ok {
					return nil
				}
				r.device(ev)
			case ev := <-uaEvents:
				r.sip(ev)
			}
		}
	})
}

// maxTrackedCalls bounds the calls the recorder follows at once.
const maxTrackedCalls = 64

// recorder turns events into history entries; one goroutine owns it.
type recorder struct {
	h     *history.Log
	log   *slog.Logger
	calls map[string]bool   // call ID → answered, while the call lasts
	regs  map[string]string // account → last recorded state and reason
	// media is an answered call's media as its answered entry said
	// (call ID → mediaDetail), while the call lasts.
	media map[string]string
}

func (r *recorder) add(e history.Entry) {
	if err := r.h.Add(e); err != nil {
		r.log.Warn("event history not written", "kind", e.Kind, "err", err)
	}
}

func (r *recorder) device(ev device.Event) {
	switch ev.Kind {
	case device.EventRang:
		if ev.Incoming {
			return // recorded from the user agent's incoming call
		}
		who := "the analog phone"
		if ev.Button >= 0 {
			who = fmt.Sprintf("button %d", ev.Button+1)
		}
		r.add(history.Entry{Kind: history.KindRing, Who: who, Detail: "calling " + strings.Join(ev.Targets, ", ")})
	case device.EventDoorOpened:
		how := ev.How // a user's code: dtmf or keypad
		if how == "" {
			how = r.how(ev.Who)
		}
		e := history.Entry{Kind: history.KindDoorOpened, Who: ev.Who, How: how}
		if ev.Relay > 1 {
			e.Detail = fmt.Sprintf("relay %d", ev.Relay)
		}
		r.add(e)
	case device.EventDoorClosed:
		r.add(history.Entry{Kind: history.KindDoorClosed, Detail: "open for " + ev.Open.Round(time.Second).String()})
	case device.EventDoorLeftOpen:
		r.add(history.Entry{Kind: history.KindDoorLeftOpen, Detail: "open for " + ev.Open.Round(time.Second).String()})
	case device.EventTamper:
		r.add(history.Entry{Kind: history.KindTamper, Detail: "the housing was opened"})
	case device.EventTamperCleared:
		r.add(history.Entry{Kind: history.KindTamper, Detail: "the housing is closed again"})
	case device.EventDND:
		r.add(history.Entry{Kind: history.KindDND, Who: ev.Who, Detail: "do-not-disturb " + map[bool]string{true: "on", false: "off"}[ev.On]})
	case device.EventLockout:
		r.add(history.Entry{Kind: history.KindLockout, Who: ev.Who, How: ev.How,
			Detail: "door codes locked out for " + ev.Open.String() + " after too many wrong codes"})
	}
}

// how tells how the door was opened from who opened it: the web page and
// the API name themselves; a caller's URI during a call is DTMF, outside
// one a MESSAGE command.
func (r *recorder) how(who string) string {
	switch {
	case who == adminOpener:
		return "web"
	case strings.HasPrefix(who, "api:"):
		return "api"
	}
	for _, answered := range r.calls {
		if answered {
			return "dtmf"
		}
	}
	return "message"
}

func (r *recorder) sip(ev ua.Event) {
	switch ev.Kind {
	case ua.EventRegistration:
		st := ev.Reg.String()
		if ev.Reason != "" {
			st += ": " + ev.Reason
		}
		if ev.Reg == ua.Registering || r.regs[ev.Account] == st {
			return
		}
		r.regs[ev.Account] = st
		r.add(history.Entry{Kind: history.KindRegistration, Who: ev.Account, Detail: st})
	case ua.EventIncomingCall:
		if len(r.calls) < maxTrackedCalls {
			r.calls[ev.CallID] = false
		}
		who := ev.Caller.Identity
		if who == "" {
			who = ev.Peer
		}
		r.add(history.Entry{Kind: history.KindRing, Who: who, Detail: "incoming call"})
	case ua.EventCallState:
		r.callState(ev)
	}
}

func (r *recorder) callState(ev ua.Event) {
	answered, known := r.calls[ev.CallID]
	switch ev.State {
	case ua.CallCalling:
		if !known && len(r.calls) < maxTrackedCalls {
			r.calls[ev.CallID] = false
		}
	case ua.CallAnswered:
		if !answered {
			r.calls[ev.CallID] = true
			detail := mediaDetail(ev.SRTP)
			if len(r.media) < maxTrackedCalls {
				r.media[ev.CallID] = detail
			}
			r.add(history.Entry{Kind: history.KindAnswered, Who: ev.Peer, Detail: detail})
		}
	case ua.CallEnded:
		at := r.media[ev.CallID]
		delete(r.calls, ev.CallID)
		delete(r.media, ev.CallID)
		why := ev.Reason
		if ev.Code != 0 {
			why = fmt.Sprintf("%d %s", ev.Code, ev.Reason)
		}
		why = strings.TrimSpace(why)
		kind := history.KindCallEnded
		if !answered {
			kind = history.KindMissed
		} else if m := mediaDetail(ev.SRTP); ev.SRTP != "" && m != at {
			// DTLS-SRTP agrees its suite after the answer: the end says
			// which one the call had.
			why = strings.TrimPrefix(why+"; "+m, "; ")
		}
		r.add(history.Entry{Kind: kind, Who: ev.Peer, Detail: why})
	}
}

// mediaDetail says in an answered call's entry whether its media is
// encrypted, with which suite and how the keys were agreed: suite is
// ua.Event.SRTP ("AES_CM_128_HMAC_SHA1_80" with keys in the SDP (SDES),
// "AES_CM_128_HMAC_SHA1_80 via DTLS", "DTLS" while the DTLS handshake
// has not finished, "" for plain RTP).
func mediaDetail(suite string) string {
	switch {
	case suite == "":
		return "media not encrypted"
	case suite == "DTLS":
		return "media encrypted (SRTP via DTLS, keys being agreed)"
	case strings.Contains(suite, " via "):
		return "media encrypted (SRTP " + suite + ")"
	}
	return "media encrypted (SRTP " + suite + " via SDES)"
}

// recordConfigChange writes which sections a newly applied configuration
// changed.
func recordConfigChange(h *history.Log, log *slog.Logger, old, f provisioning.File) {
	if h == nil {
		return
	}
	var changed []string
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(f)
	for i := range ov.NumField() {
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			name, _, _ := strings.Cut(ov.Type().Field(i).Tag.Get("yaml"), ",")
			if name == "" {
				name = strings.ToLower(ov.Type().Field(i).Name)
			}
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return
	}
	if err := h.Add(history.Entry{Kind: history.KindConfig, Detail: "changed: " + strings.Join(changed, ", ")}); err != nil {
		log.Warn("event history not written", "err", err)
	}
}

// adminOpener is who opens the door from the admin web page.
const adminOpener = "admin web page"

// historyHandler serves GET /api/history, or nil without a history.
func historyHandler(h *history.Log) http.Handler {
	if h == nil {
		return nil
	}
	return h.Handler()
}
