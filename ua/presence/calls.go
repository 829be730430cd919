package presence

// SetCalls changes the status and the dialogs every watcher sees, and
// notifies them. Unlike Set, the dialogs are taken as they are, none
// included: the dialog package then shows exactly these calls (with the
// Call-ID and tags the user agent used on the wire, so that a BLF key can
// pick a ringing call up with INVITE + Replaces) and never dialogs
// derived from st.
func (m *Manager) SetCalls(st Status, calls []Dialog) {
	m.mu.Lock()
	m.status = st
	m.calls = append(make([]Dialog, 0, len(calls)), calls...) // non-nil: not derived
	subs := make([]*subscription, 0, len(m.subs))
	for _, s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.poke()
	}
}
