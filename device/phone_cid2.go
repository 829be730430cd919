package device

import (
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
	"github.com/sipbell/sipbell/audio/tone"
)

// This file sends caller ID on call waiting (Telcordia GR-575 / GR-30
// type II, ETSI EN 300 659-1 off-hook): after the call-waiting tone's
// first burst the call is muted and the CPE alerting signal sent; the
// phone acknowledges with a DTMF digit if it can show the caller, and only
// then gets the caller ID; the call is unmuted after it.

// Type II timing.
const (
	// casAckWait is how long after the alerting signal the phone's
	// acknowledgement is awaited: GR-30's 160 ms plus 60 ms for the sound
	// card's playback and capture buffers.
	casAckWait = 160*time.Millisecond + 60*time.Millisecond
	// casAckToFSK is the pause between the acknowledgement's detection
	// and the caller ID (GR-30: 50 to 500 ms after the digit ends).
	casAckToFSK = 100 * time.Millisecond
	// offHookMarkBits is the mark signal before an off-hook caller ID
	// (80 ms at 1200 baud).
	offHookMarkBits = 96
)

// CallMuter is what a Handset may add for caller ID on call waiting: the
// call's audio leaves the earpiece, and the microphone's the call, while
// the alerting signal, its acknowledgement and the caller ID pass.
type CallMuter interface {
	// MuteCall mutes (true) or unmutes the call both ways.
	MuteCall(on bool) error
}

// cwCID is caller ID on call waiting under way.
type cwCID struct {
	casAt   time.Time // send the alerting signal
	ackBy   time.Time // the phone's acknowledgement is due by then
	fskAt   time.Time // send the caller ID
	endAt   time.Time // the caller ID has been sent: unmute
	againAt time.Time // the call-waiting tone's next burst
	period  time.Duration
	fsk     []int16
	muted   bool
}

// startCWCallerID plans caller ID for the waiting call ev, when enabled:
// the alerting signal right after the call-waiting tone's first burst.
func (m *phone) startCWCallerID(ev PhoneEvent) {
	if !m.cfg.CallWaitingCallerID {
		return
	}
	fsk := m.callerIDSignal(ev, true)
	if fsk == nil {
		return
	}
	p, err := tone.Lookup(m.cfg.Country, tone.CallWaiting)
	if err != nil || len(p.Cadence) == 0 {
		return
	}
	var period time.Duration
	for _, d := range p.Cadence {
		period += d
	}
	now := m.now()
	m.cw2 = cwCID{casAt: now.Add(p.Cadence[0]), fsk: fsk, period: period, againAt: now.Add(period)}
}

// cwAck takes a DTMF digit heard in the handset while the acknowledgement
// is awaited; it reports whether the digit was the acknowledgement.
func (m *phone) cwAck(d byte) bool {
	c := &m.cw2
	if c.ackBy.IsZero() || d != m.cfg.CASAck[0] || m.now().After(c.ackBy) {
		return false
	}
	c.ackBy, c.fskAt = time.Time{}, m.now().Add(casAckToFSK)
	m.d.log.Info("call waiting: the phone acknowledged the alerting signal", "digit", string(d))
	return true
}

// cwDue runs the steps of caller ID on call waiting due by now.
func (m *phone) cwDue(now time.Time) {
	c := &m.cw2
	if due(c.casAt, now) {
		at := c.casAt
		c.casAt = time.Time{}
		cas, err := callerid.Alert(callerid.CASDuration, 0)
		if err != nil {
			m.d.log.Warn("no caller ID on call waiting", "err", err)
			return
		}
		m.muteCall(true)
		m.toneOn = false
		if err := m.d.handset.Play(cas); err != nil {
			m.d.log.Warn("cannot send the alerting signal", "err", err)
		}
		c.ackBy = at.Add(callerid.CASDuration + casAckWait)
		m.d.log.Info("call waiting: alerting signal sent, waiting for the phone's acknowledgement", "ack", m.cfg.CASAck)
	}
	if due(c.ackBy, now) {
		c.ackBy = time.Time{}
		m.d.log.Info("call waiting: the phone did not acknowledge the alerting signal: no caller ID", "peer", m.second.peer)
		m.muteCall(false)
	}
	if due(c.fskAt, now) {
		at := c.fskAt
		c.fskAt = time.Time{}
		if err := m.d.handset.Play(c.fsk); err != nil {
			m.d.log.Warn("cannot send caller ID", "err", err)
		}
		m.d.log.Info("caller ID on call waiting sent", "peer", m.second.peer, "samples", len(c.fsk))
		c.endAt = at.Add(samplesDuration(len(c.fsk)) + 20*time.Millisecond)
	}
	if due(c.endAt, now) {
		c.endAt = time.Time{}
		m.muteCall(false)
	}
	if due(c.againAt, now) && c.casAt.IsZero() && c.ackBy.IsZero() && c.fskAt.IsZero() && c.endAt.IsZero() {
		m.cw2 = cwCID{}
		m.play(tone.CallWaiting, 0) // its cadence goes on
	}
}

// cwNext is the earliest deadline of caller ID on call waiting.
func (c *cwCID) next() time.Time {
	var t time.Time
	for _, x := range []time.Time{c.casAt, c.ackBy, c.fskAt, c.endAt, c.againAt} {
		if !x.IsZero() && (t.IsZero() || x.Before(t)) {
			t = x
		}
	}
	return t
}

// cwStop abandons caller ID on call waiting (the call was answered, gave
// up, or the phone was hung up) and unmutes the call.
func (m *phone) cwStop() {
	if m.cw2.muted { // the alerting signal or caller ID may still play
		m.muteCall(false)
		if err := m.d.handset.Quiet(); err != nil {
			m.d.log.Warn("cannot silence the earpiece", "err", err)
		}
	}
	m.cw2 = cwCID{}
}

func (m *phone) muteCall(on bool) {
	m.cw2.muted = on
	mu, ok := m.d.handset.(CallMuter)
	if !ok {
		return
	}
	if err := mu.MuteCall(on); err != nil {
		m.d.log.Warn("cannot mute the call", "mute", on, "err", err)
	}
}

// due reports whether deadline t is set and has come by now.
func due(t, now time.Time) bool { return !t.IsZero() && !t.After(now) }
