package device

import (
	"context"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
)

// This file rings the bell in the country's cadence and sends caller ID
// in the first pause long enough for it.

// Caller-ID timing around the rings (Telcordia GR-30: data from 500 ms
// after the first ring ends, done 200 ms before the next one).
const (
	cidAfterRing  = 500 * time.Millisecond
	cidBeforeRing = 200 * time.Millisecond
)

// ringer plays a ring cadence on the Ringer output and times caller ID.
type ringer struct {
	cadence []time.Duration // this call's
	hz      int

	on     bool
	idx    int       // the cadence step playing
	stepAt time.Time // the next step
	until  time.Time // the ring timeout
	cid    []int16   // caller ID still to send
	cidAt  time.Time // send it
	cidEnd time.Time // it has been sent: line polarity back
	ringAt time.Time // the first ring, after caller ID sent before it
}

// begin starts ringing in cadence with caller ID cid (nil: none); with
// caller ID before the first ring, that comes first (phone_cid1.go).
func (r *ringer) begin(m *phone, cadence []time.Duration, cid []int16) {
	now := m.now()
	*r = ringer{cadence: cadence, hz: r.hz, on: true, cid: cid}
	if t := m.cfg.RingTimeout; t > 0 {
		r.until = now.Add(t)
	}
	if cid != nil && m.cfg.CallerIDTiming == CallerIDBeforeRing {
		r.beforeRing(m, now)
		return
	}
	r.stepAt = now.Add(cadence[0])
	m.set(Ringer, Pattern{Kind: Ring, Hz: r.hz})
}

// next is the ringer's earliest deadline, zero when none.
func (r *ringer) next() time.Time {
	var t time.Time
	for _, c := range []time.Time{r.stepAt, r.cidAt, r.cidEnd, r.until, r.ringAt} {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	return t
}

// ringDue plays the cadence steps, caller ID and the ring timeout due by now.
func (m *phone) ringDue(ctx context.Context, now time.Time) {
	r := &m.ring
	if !r.until.IsZero() && !r.until.After(now) {
		m.d.log.Info("call from "+m.peer+" not answered: ring timeout", "peer", m.peer, "after", m.cfg.RingTimeout)
		m.hangup(ctx, m.callID)
		r.stop(m)
		m.d.emit(Event{Kind: EventMissed, Peer: m.peer, Button: -1, Targets: []string{m.peer}})
		m.toIdle()
		return
	}
	for !r.stepAt.IsZero() && !r.stepAt.After(now) {
		at := r.stepAt
		r.idx = (r.idx + 1) % len(r.cadence)
		r.stepAt = at.Add(r.cadence[r.idx])
		if r.idx%2 == 0 {
			m.set(Ringer, Pattern{Kind: Ring, Hz: r.hz})
			continue
		}
		m.set(Ringer, Pattern{Kind: Off})
		if r.cid != nil && r.cidAt.IsZero() && r.fits(r.cadence[r.idx]) {
			r.cidAt = at.Add(cidAfterRing)
		}
	}
	if !r.cidAt.IsZero() && !r.cidAt.After(now) {
		m.sendCallerID(now)
	}
	if !r.cidEnd.IsZero() && !r.cidEnd.After(now) {
		r.cidEnd = time.Time{}
		m.set(LineReversal, Pattern{Kind: Off})
	}
	if due(r.ringAt, now) {
		r.firstRing(m)
	}
}

// fits reports whether caller ID fits in a pause of d, or d is the
// cadence's longest pause (then it goes there, fitting or not).
func (r *ringer) fits(d time.Duration) bool {
	if cidAfterRing+samplesDuration(len(r.cid))+cidBeforeRing <= d {
		return true
	}
	for i := 1; i < len(r.cadence); i += 2 {
		if r.cadence[i] > d {
			return false
		}
	}
	return true
}

// sendCallerID plays the caller ID in the earpiece, the line reversed
// while it lasts (ETSI signals the data so; a Bell phone ignores it).
func (m *phone) sendCallerID(now time.Time) {
	r := &m.ring
	r.cidAt = time.Time{}
	if m.cfg.CallerID != CallerIDBell202 || !r.ringAt.IsZero() {
		m.set(LineReversal, Pattern{Kind: On})
	}
	if err := m.d.handset.Play(r.cid); err != nil {
		m.d.log.Warn("cannot send caller ID", "err", err)
	}
	m.d.log.Info("caller ID sent", "standard", m.cfg.CallerID, "peer", m.peer, "samples", len(r.cid))
	r.cidEnd = now.Add(samplesDuration(len(r.cid)))
	r.cid = nil
}

// stop stops the bell and any caller ID.
func (r *ringer) stop(m *phone) {
	if !r.on {
		return
	}
	if !r.cidEnd.IsZero() {
		if err := m.d.handset.Quiet(); err != nil {
			m.d.log.Warn("cannot silence the earpiece", "err", err)
		}
	}
	m.set(Ringer, Pattern{Kind: Off})
	m.set(LineReversal, Pattern{Kind: Off})
	*r = ringer{cadence: r.cadence, hz: r.hz}
}

func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / callerid.Rate
}

// printable keeps the printable ASCII of s (what caller ID carries).
func printable(s string) string {
	b := make([]byte, 0, len(s))
	for i := range len(s) {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b = append(b, s[i])
		}
	}
	return strings.TrimSpace(string(b))
}

// callerID renders the caller ID of an incoming call, nil when none is
// sent. The number is the verified caller's (the user part of the
// identity the proxy asserted, or the sip.callers user); an unverified
// caller is presented as "unavailable", never by its From header. The
// name is the display name the proxy asserted, "unavailable" without one.
func (m *phone) callerID(ev PhoneEvent) []int16 { return m.callerIDSignal(ev, false) }

// callerIDSignal renders the caller ID of ev; offHook renders the form
// sent during a call (type II: FSK without the channel seizure, 80 ms of
// mark), nil for DTMF.
func (m *phone) callerIDSignal(ev PhoneEvent, offHook bool) []int16 {
	if m.cfg.CallerID == CallerIDOff || (offHook && m.cfg.CallerID == CallerIDDTMF) {
		return nil
	}
	msg := callerid.Message{Time: callerid.DateTimeOf(m.now()), NameAbsent: callerid.Unavailable}
	if n := userOf(ev.Caller.Identity); n != "" {
		msg.Number = n[:min(len(n), callerid.MaxNumber)]
	} else {
		msg.NumberAbsent = callerid.Unavailable
	}
	if name := printable(ev.Caller.Name); name != "" {
		msg.Name, msg.NameAbsent = name[:min(len(name), callerid.MaxName)], callerid.Present
	}
	var pcm []int16
	var err error
	if m.cfg.CallerID == CallerIDDTMF {
		pcm, err = callerid.DTMF(msg, callerid.DTMFOptions{})
	} else {
		var b []byte
		if b, err = msg.MarshalBinary(); err == nil {
			std, _ := fskStandard(m.cfg.CallerID)
			o := callerid.FSKOptions{Standard: std}
			if offHook {
				o.SeizureBits, o.MarkBits = -1, offHookMarkBits
			}
			pcm, err = callerid.FSK(b, o)
		}
	}
	if err != nil {
		m.d.log.Warn("no caller ID for this call", "peer", ev.Peer, "err", err)
		return nil
	}
	return pcm
}
