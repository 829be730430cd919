package presence

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
)

// subscription is one watcher. Its goroutine (serve) owns the NOTIFYs.
type subscription struct {
	req     SubscribeRequest
	pkg     string
	dlg     Notifier
	version uint32 // dialog-info version, per subscription (RFC 4235 §4.1)

	kick    chan struct{} // state changed: notify
	renew   chan bool     // refreshed (true: un-subscribed)
	expires time.Time     // guarded by Manager.mu
}

func (m *Manager) newSub(req SubscribeRequest, dlg Notifier, exp time.Duration) *subscription {
	pkg := EventPresence
	if req.Event == EventDialog {
		pkg = EventDialog
	}
	return &subscription{req: req, pkg: pkg, dlg: dlg, kick: make(chan struct{}, 1),
		renew: make(chan bool, 1), expires: m.clock.Now().Add(exp)}
}

func (s *subscription) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *subscription) refresh(final bool) {
	select {
	case s.renew <- final:
	default:
		if final { // replace a pending refresh by the un-subscribe
			select {
			case <-s.renew:
			default:
			}
			s.renew <- true
		}
	}
}

// serve sends the NOTIFYs of s until it ends.
func (m *Manager) serve(s *subscription) {
	defer m.remove(s)
	timer := m.clock.NewTimer(m.left(s))
	defer timer.Stop()
	for {
		select {
		case <-s.kick:
			if !m.send(s, "active", "") {
				return
			}
		case final := <-s.renew:
			if final {
				m.send(s, "terminated", "timeout")
				return
			}
			resetTimer(timer, m.left(s))
			if !m.send(s, "active", "") {
				return
			}
		case <-timer.Chan():
			if m.left(s) > 0 { // refreshed meanwhile
				resetTimer(timer, m.left(s))
				continue
			}
			m.send(s, "terminated", "timeout")
			return
		case <-m.stopAll:
			m.send(s, "terminated", "noresource")
			return
		}
	}
}

func resetTimer(t clockwork.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

// left returns the time left on s.
func (m *Manager) left(s *subscription) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return max(s.expires.Sub(m.clock.Now()), 0)
}

func (m *Manager) remove(s *subscription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.subs[s.req.DialogID] == s {
		delete(m.subs, s.req.DialogID)
		m.log.Info("watcher subscription ended", "event", s.pkg, "from", s.req.From, "count", len(m.subs))
	}
}

// send renders the current state for s and sends it; false when the
// NOTIFY failed (the subscription ends).
func (m *Manager) send(s *subscription, state, reason string) bool {
	m.mu.Lock()
	st, calls := m.status, m.calls
	m.mu.Unlock()
	n := Notification{Event: s.pkg, EventID: s.req.EventID, State: state, Reason: reason}
	if state == "active" {
		n.Expires = m.left(s)
	}
	var err error
	if s.pkg == EventDialog {
		n.ContentType = ContentTypeDialogInfo
		di := DialogInfo{Entity: m.cfg.Entity, Version: s.version, Full: true, Dialogs: calls}
		if calls == nil { // Set without calls; SetCalls gives the calls as they are
			di.Dialogs = derivedDialogs(st, m.cfg.Entity)
		}
		s.version++
		n.Body, err = di.Marshal()
	} else {
		n.ContentType = ContentTypePIDF
		n.Body, err = st.PIDF(m.cfg.Entity, m.cfg.Contact).Marshal()
	}
	if err != nil {
		m.log.Warn("presence: body not renderable, status sent without note", "err", err)
		st.Note = ""
		n.Body, _ = st.PIDF(m.cfg.Entity, m.cfg.Contact).Marshal()
		n.ContentType = ContentTypePIDF
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.NotifyTimeout)
	defer cancel()
	go func() {
		select {
		case <-m.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.dlg.Notify(ctx, n); err != nil {
		m.log.Info("NOTIFY failed: subscription ended", "from", s.req.From, "err", err)
		return false
	}
	return true
}

// derivedDialogs returns the dialog-info of a status without call details.
func derivedDialogs(st Status, entity string) []Dialog {
	d := Dialog{ID: "sipbell", Local: Identity{URI: entity}}
	switch st.State {
	case Ringing:
		d.State, d.Direction = Early, Initiator
	case InCall:
		d.State = Confirmed
	default:
		return nil
	}
	return []Dialog{d}
}
