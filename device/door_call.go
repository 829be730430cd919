package device

import (
	"context"
	"slices"
	"time"
)

// This file is the outgoing side: a button's targets called in hunt or
// parallel order until one answers, all fail, or the ring time runs out.

func (m *door) startCall(ctx context.Context, i int) {
	b := m.cfg.Buttons[i]
	m.st, m.button, m.btn = calling, i, b
	m.legs, m.nextTarget, m.busy, m.failed = nil, 0, 0, 0
	m.d.log.Info("button pressed: calling", "button", i, "targets", b.Targets, "order", b.Order)
	m.d.emit(Event{Kind: EventRang, Button: i, Targets: b.Targets})
	m.setLED(CallLED, Pattern{Kind: FastBlink})
	m.play(CueRingback)
	if b.Order == OrderParallel {
		for m.nextTarget < len(b.Targets) {
			m.dial(ctx)
		}
		if len(m.legs) > 0 {
			m.ringUntil = m.now().Add(b.RingTimeout)
			return
		}
		m.finish()
		return
	}
	m.huntNext(ctx)
}

// dial calls the next target; a failed Dial counts as a failed leg.
func (m *door) dial(ctx context.Context) bool {
	t := m.btn.Targets[m.nextTarget]
	m.nextTarget++
	id, err := m.d.phone.Dial(ctx, t)
	if err != nil {
		m.failed++
		m.d.log.Warn("cannot call target", "target", t, "err", err)
		return false
	}
	m.legs = append(m.legs, &leg{id: id, target: t})
	m.d.log.Debug("calling target", "target", t, "call", id)
	return true
}

// huntNext dials the next target that can be dialled, or finishes.
func (m *door) huntNext(ctx context.Context) {
	for m.nextTarget < len(m.btn.Targets) {
		if m.dial(ctx) {
			m.ringUntil = m.now().Add(m.btn.RingTimeout)
			return
		}
	}
	m.finish()
}

func (m *door) legState(ctx context.Context, l *leg, ev PhoneEvent) {
	switch ev.State {
	case CallRinging:
		m.d.log.Debug("target ringing", "target", l.target)
	case CallAnswered:
		m.answered(ctx, l, ev.Peer)
	case CallEnded:
		m.legs = slices.DeleteFunc(m.legs, func(x *leg) bool { return x == l })
		if isBusy(ev.Code) {
			m.busy++
		} else {
			m.failed++
		}
		m.d.log.Info("target did not answer", "target", l.target, "reason", ev.Reason)
		m.afterLegEnded(ctx)
	}
}

// isBusy: busy here, busy everywhere, or declined by the resident.
func isBusy(code int) bool { return code == 486 || code == 600 || code == 603 }

func (m *door) afterLegEnded(ctx context.Context) {
	if len(m.legs) > 0 {
		return
	}
	if m.btn.Order == OrderHunt {
		m.huntNext(ctx)
		return
	}
	m.finish()
}

// ringTimeout ends the ringing legs: hunt moves on, parallel gives up.
func (m *door) ringTimeout(ctx context.Context) {
	for _, l := range m.legs {
		m.hangup(ctx, l.id)
		m.failed++
		m.d.log.Info("target did not answer", "target", l.target, "reason", "ring timeout")
	}
	m.legs = nil
	m.afterLegEnded(ctx)
}

// answered connects the first leg to answer and cancels the others.
func (m *door) answered(ctx context.Context, l *leg, peer string) {
	for _, x := range m.legs {
		if x != l {
			m.hangup(ctx, x.id)
		}
	}
	m.legs, m.ringUntil = nil, time.Time{}
	m.silence()
	if peer == "" {
		peer = l.target
	}
	m.callID, m.incoming = l.id, false
	m.peer = peer
	m.mayOpen = m.cfg.Door.TargetsMayOpen || m.allowed.allows(peer)
	m.connect(peer)
}

// finish reports a call nobody took: busy when every target was busy or
// declined, missed otherwise.
func (m *door) finish() {
	e := Event{Button: m.button, Targets: m.btn.Targets}
	if m.busy > 0 && m.failed == 0 {
		e.Kind = EventBusy
		m.play(CueBusy)
		m.d.log.Info("line busy", "button", m.button, "targets", m.btn.Targets)
	} else {
		e.Kind = EventMissed
		m.play(CueNoAnswer)
		m.d.log.Info("nobody answered", "button", m.button, "targets", m.btn.Targets)
	}
	m.d.emit(e)
	m.toIdle()
}

// leg returns the live leg with call ID id, or nil.
func (m *door) leg(id string) *leg {
	for _, l := range m.legs {
		if l.id == id {
			return l
		}
	}
	return nil
}
