package device

import (
	"context"
	"fmt"
	"time"
)

// This file is the outgoing side: a button's targets called one after the
// other (hunt: one call per target) or all at once (parallel: one call
// ringing every target), until someone answers, every target failed, or
// the ring time ran out.

func (m *door) startCall(ctx context.Context, i int) {
	m.startCallWith(ctx, i, m.cfg.Buttons[i].withDefaults())
}

// call is the admin page's call: like a press of a button (index -1)
// whose only target is targets, hunted in order.
func (m *door) call(ctx context.Context, targets []string) error {
	if m.st != idle {
		return fmt.Errorf("device: call %v: %w", targets, ErrInCall)
	}
	if len(targets) == 0 {
		return fmt.Errorf("device: call: no target")
	}
	m.startCallWith(ctx, -1, Button{Targets: targets}.withDefaults())
	return nil
}

// startCallWith calls b's targets for button i (-1: not a button).
func (m *door) startCallWith(ctx context.Context, i int, b Button) {
	m.enter(calling)
	m.button, m.btn = i, b
	m.leg, m.nextTarget, m.busy, m.failed = nil, 0, 0, 0
	if i < 0 {
		m.d.log.Info("calling from the admin page", "targets", b.Targets)
	} else {
		m.d.log.Info("button pressed: calling", "button", i, "targets", b.Targets, "order", b.Order)
	}
	m.d.emit(Event{Kind: EventRang, Button: i, Targets: b.Targets})
	m.setLED(CallLED, Pattern{Kind: FastBlink})
	m.play(CueRingback)
	m.dialNext(ctx)
}

// dialNext rings the next target (hunt) or every target (parallel) and
// starts the ring timeout; when nothing is left to dial it finishes.
func (m *door) dialNext(ctx context.Context) {
	for m.nextTarget < len(m.btn.Targets) {
		ts := m.btn.Targets[m.nextTarget : m.nextTarget+1]
		if m.btn.Order == OrderParallel {
			ts = m.btn.Targets
		}
		m.nextTarget += len(ts)
		id, err := m.d.phone.Dial(ctx, ts)
		if err != nil {
			m.failed++
			m.d.log.Warn("cannot call", "targets", ts, "err", err)
			continue
		}
		m.leg = &leg{id: id, targets: ts}
		m.ringUntil = m.now().Add(m.btn.RingTimeout)
		m.d.log.Debug("calling", "targets", ts, "call", id)
		return
	}
	m.finish()
}

func (m *door) legState(ctx context.Context, ev PhoneEvent) {
	l := m.leg
	switch ev.State {
	case CallRinging:
		if ev.EarlyMedia { // the far end's announcement replaces our ringback
			m.silence()
			m.d.log.Info("early media: the visitor hears the far end", "targets", l.targets, "call", l.id)
			return
		}
		m.d.log.Info("ringing", "targets", l.targets, "call", l.id)
	case CallAnswered:
		m.answered(l, ev.Peer)
	case CallEnded:
		m.leg, m.ringUntil = nil, time.Time{}
		if isBusy(ev.Code) {
			m.busy++
		} else {
			m.failed++
		}
		m.d.log.Info("not answered", "targets", l.targets, "reason", ev.Reason, "code", ev.Code, "call", l.id)
		m.dialNext(ctx)
	}
}

// isBusy: busy here, busy everywhere, or declined by the resident.
func isBusy(code int) bool { return code == 486 || code == 600 || code == 603 }

// ringTimeout gives up on the ringing call: hunt moves on to the next
// target, parallel has none left.
func (m *door) ringTimeout(ctx context.Context) {
	if m.leg == nil {
		return
	}
	m.hangup(ctx, m.leg.id)
	m.failed++
	m.d.log.Info("not answered", "targets", m.leg.targets, "reason", "ring timeout", "call", m.leg.id)
	m.leg = nil
	m.dialNext(ctx)
}

// answered connects the ringing call. peer is who answered (with
// parallel ringing, the target that picked up).
func (m *door) answered(l *leg, peer string) {
	m.leg, m.ringUntil = nil, time.Time{}
	m.silence()
	if peer == "" {
		peer = l.targets[0]
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
