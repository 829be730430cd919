package board

import (
	"fmt"
	"slices"
	"time"
)

// RingReport is the ringer's waveform as the sim board measured it from
// its output pins' level changes: the bursts of ringing (the cadence's
// "on" parts), the pauses between them, and the ring signal's frequency.
type RingReport struct {
	// Ringing is true while a burst is under way.
	Ringing bool `json:"ringing"`
	// Bursts counts the bursts so far.
	Bursts int `json:"bursts"`
	// Hz is the ring frequency of the last burst, from the rising edges
	// of the pin that carries it (F/R on a SLIC, bell A on an H-bridge):
	// one over the median time between rises, each timed when the board's
	// scheduler had it due (so a busy machine that drives it late, or
	// skips one, does not change the reading); 0 when there is none (a
	// plain ringer relay).
	Hz float64 `json:"hz"`
	// OnMS is the last burst's length and OffMS the pause before it, in
	// milliseconds (OffMS 0 before the second burst).
	OnMS  int64 `json:"on_ms"`
	OffMS int64 `json:"off_ms"`
	// Antiphase is true when the board has H-bridge bell pins and, in the
	// last burst, bell B rose as often as bell A and never both were on.
	Antiphase bool `json:"antiphase"`
}

// ringMeter measures the ringer from pin changes. A burst is gated by the
// SLIC's ring-mode pin (RM on), else by the ringer relay pin, else by
// bell A playing a wave; the frequency comes from the rises of F/R (while
// RM is on) or else of bell A. Sim.mu guards it.
type ringMeter struct {
	start, end time.Time // of the current or last burst
	last       time.Time // last rise
	rises      int
	aRises     int
	bRises     int
	aOn, bOn   bool
	both       bool
	gaps       []time.Duration // between the burst's rises, at most maxGaps
	report     RingReport
}

// maxGaps bounds the rises a burst's frequency is measured from.
const maxGaps = 1024

// gate returns the role that starts and ends a burst on board b.
func (m *ringMeter) gate(b *Board) Role {
	switch {
	case b.output(RingMode, 0) != nil:
		return RingMode
	case b.output(Ringer, 0) != nil:
		return Ringer
	}
	return BellA
}

// waveRole returns the role whose rises give the frequency, or "".
func (m *ringMeter) waveRole(b *Board) Role {
	switch {
	case b.output(ForwardReverse, 0) != nil:
		return ForwardReverse
	case b.output(BellA, 0) != nil:
		return BellA
	}
	return ""
}

// level takes one output level change. s.mu is held (and b.mu: outputs
// change only under it).
func (m *ringMeter) level(s *Sim, rp rolePin, on bool) {
	b, now := s.b, s.b.due
	if now.IsZero() {
		now = b.clk.Now()
	}
	gate := m.gate(b)
	if rp.role == gate && gate != BellA {
		m.gated(s, on, now)
	}
	switch rp.role {
	case BellA:
		m.aOn = on
	case BellB:
		m.bOn = on
	}
	if m.aOn && m.bOn && m.report.Ringing {
		m.both = true
	}
	if !on || !m.report.Ringing {
		return
	}
	switch rp.role {
	case BellA:
		m.aRises++
	case BellB:
		m.bRises++
	}
	if rp.role == m.waveRole(b) {
		if m.rises > 0 && len(m.gaps) < maxGaps {
			m.gaps = append(m.gaps, now.Sub(m.last))
		}
		m.last = now
		m.rises++
	}
}

// pattern takes a pattern change: bell A's wave gates a burst when the
// board has neither RM nor a ringer relay.
func (m *ringMeter) pattern(s *Sim, rp rolePin, p Pattern) {
	if rp.role == BellA && m.gate(s.b) == BellA {
		m.gated(s, p.Kind == PatternWave, s.b.clk.Now())
	}
}

// gated starts (on) or ends a burst at now and reports it.
func (m *ringMeter) gated(s *Sim, on bool, now time.Time) {
	r := &m.report
	if on == r.Ringing {
		return
	}
	r.Ringing = on
	if on {
		if r.Bursts > 0 {
			r.OffMS = now.Sub(m.end).Milliseconds()
			s.send(fmt.Sprintf("ringer silent %v", now.Sub(m.end).Round(time.Millisecond)), true, true)
		}
		m.start, m.rises, m.aRises, m.bRises, m.both, m.gaps = now, 0, 0, 0, false, m.gaps[:0]
		return
	}
	m.end = now
	r.Bursts++
	r.OnMS = now.Sub(m.start).Milliseconds()
	r.Hz = 0
	if len(m.gaps) > 0 {
		slices.Sort(m.gaps)
		if med := m.gaps[len(m.gaps)/2]; med > 0 {
			r.Hz = 1 / med.Seconds()
		}
	}
	r.Antiphase = m.aRises > 0 && !m.both && m.aRises-m.bRises <= 1 && m.bRises-m.aRises <= 1
	line := fmt.Sprintf("ringer rang %v", now.Sub(m.start).Round(time.Millisecond))
	if r.Hz > 0 {
		line += fmt.Sprintf(" at %.1f Hz", r.Hz)
	}
	if s.b.output(BellB, 0) != nil {
		line += fmt.Sprintf(", bells in antiphase: %t", r.Antiphase)
	}
	s.send(line, true, true)
}

// Ringer returns the ringer's waveform as measured so far.
func (s *Sim) Ringer() RingReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring.report
}
