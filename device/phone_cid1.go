package device

import (
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
)

// This file sends caller ID before the first ring (caller_id_timing:
// before_ring), as BT SIN 227 (UK) and ETSI EN 300 659-1 do it: the line
// reversed, then for FSK the dual-tone alerting signal (DT-AS, 100 ms),
// the caller ID, and only then the first ring; DTMF caller ID (the
// Netherlands, Denmark) goes without the alerting signal.

// Caller ID before the first ring, timing.
const (
	// reversalToAlert is the pause between the line reversal and the
	// alerting signal (SIN 227: at least 100 ms).
	reversalToAlert = 150 * time.Millisecond
	// alertToFSK is the pause between the alerting signal's end and the
	// FSK (SIN 227: 45 ms or more).
	alertToFSK = 60 * time.Millisecond
	// cidToRing is the pause between the caller ID's end and the first
	// ring (SIN 227: at least 200 ms; EN 300 659-1 for DTMF: 250 ms).
	cidToRing = 300 * time.Millisecond
)

// beforeRing starts caller ID ahead of the first ring: the line
// reversed now, the signal (the alerting signal, a pause, the FSK; or the
// DTMF) after reversalToAlert, the first ring cidToRing after its end.
func (r *ringer) beforeRing(m *phone, now time.Time) {
	if m.cfg.CallerID != CallerIDDTMF {
		alert, err := callerid.Alert(callerid.DTASDuration, 0)
		if err == nil {
			r.cid = append(append(alert, make([]int16, int(alertToFSK*callerid.Rate/time.Second))...), r.cid...)
		}
	}
	m.set(LineReversal, Pattern{Kind: On})
	r.cidAt = now.Add(reversalToAlert)
	r.ringAt = r.cidAt.Add(samplesDuration(len(r.cid)) + cidToRing)
	m.d.log.Debug("caller ID before the first ring", "standard", m.cfg.CallerID, "ring_at", r.ringAt)
}

// firstRing starts the cadence after caller ID sent before it.
func (r *ringer) firstRing(m *phone) {
	at := r.ringAt
	r.ringAt = time.Time{}
	r.idx, r.stepAt = 0, at.Add(r.cadence[0])
	m.set(Ringer, Pattern{Kind: Ring, Hz: r.hz})
	m.d.log.Info("ringing after the caller ID", "peer", m.peer)
}
