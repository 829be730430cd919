package device

import (
	"slices"
	"time"
)

// This file keeps door.access's guest codes and use counts on the door:
// loaded from the AccessStore when the door starts, saved after each
// change.

// codesOn reports whether door codes are checked (users or guests).
func (m *door) codesOn() bool { return m.access != nil && len(m.access.users) > 0 }

// loadAccess adds the stored guests and use counts to the access table.
func (m *door) loadAccess() {
	if m.d.store == nil {
		return
	}
	st, err := m.d.store.Load()
	if err != nil {
		m.d.log.Warn("door codes: stored guest codes and uses not read", "err", err)
		return
	}
	for _, u := range m.access.users {
		if u.MaxUses > 0 {
			u.uses = st.Uses[u.Name]
		}
	}
	for _, g := range st.Guests {
		if len(m.access.guests()) >= maxGuests {
			break
		}
		if err := m.addGuest(g); err != nil {
			m.d.log.Warn("door codes: stored guest code left out", "guest", g.Name, "err", err)
		}
	}
	m.pruneGuests()
}

// addGuest adds g to the access table, unless its name is taken.
func (m *door) addGuest(g Guest) error {
	for _, u := range m.access.users {
		if u.Name == g.Name {
			return ErrGuestExists
		}
	}
	h, err := parseHash(g.CodeHash)
	if err != nil {
		return err
	}
	u := &accessUser{AccessUser: AccessUser{Name: g.Name, CodeHash: g.CodeHash, Relays: g.Relays, MaxUses: g.MaxUses},
		hash: h, until: g.ValidUntil, uses: g.Uses, guest: &g}
	if !g.ValidUntil.IsZero() {
		u.ValidUntil = g.ValidUntil.Format(time.RFC3339)
	}
	// A new slice: the check worker may be reading the old one.
	m.access.users = append(slices.Clip(m.access.users), u)
	return nil
}

// pruneGuests drops the guest codes that expired or are used up, and
// reports whether it dropped any.
func (m *door) pruneGuests() bool {
	now := m.now()
	keep := make([]*accessUser, 0, len(m.access.users))
	for _, u := range m.access.users {
		if u.guest == nil || ((u.until.IsZero() || now.Before(u.until)) && (u.MaxUses == 0 || u.uses < u.MaxUses)) {
			keep = append(keep, u)
		}
	}
	dropped := len(keep) < len(m.access.users)
	m.access.users = keep
	return dropped
}

// changeGuests adds or revokes a guest code (neither: prunes only) and
// saves the outcome.
func (m *door) changeGuests(r guestReq) error {
	changed := m.pruneGuests()
	var err error
	switch {
	case r.add != nil && len(m.access.guests()) >= maxGuests:
		err = ErrGuestsFull
	case r.add != nil:
		if err = m.addGuest(*r.add); err == nil {
			changed = true
			m.d.log.Info("guest code created", "guest", r.add.Name, "by", r.add.By, "relays", r.add.Relays,
				"valid_until", r.add.ValidUntil, "max_uses", r.add.MaxUses)
		}
	case r.revoke != "":
		n := len(m.access.users)
		m.access.users = slices.DeleteFunc(slices.Clone(m.access.users), func(u *accessUser) bool {
			return u.guest != nil && u.Name == r.revoke
		})
		if len(m.access.users) == n {
			err = ErrGuestUnknown
		} else {
			changed = true
			m.d.log.Info("guest code revoked", "guest", r.revoke)
		}
	}
	if changed {
		m.saveAccess()
	}
	return err
}

// guestList lists the guest codes without their hashes.
func (m *door) guestList() []Guest {
	var out []Guest
	for _, u := range m.access.guests() {
		g := *u.guest
		g.CodeHash, g.Uses = "", u.uses
		out = append(out, g)
	}
	return out
}

// saveAccess writes the guests and the counted uses to the store.
func (m *door) saveAccess() {
	if m.d.store == nil {
		return
	}
	st := AccessState{Guests: []Guest{}, Uses: map[string]int{}}
	for _, u := range m.access.users {
		switch {
		case u.guest != nil:
			g := *u.guest
			g.Uses = u.uses
			st.Guests = append(st.Guests, g)
		case u.MaxUses > 0 && u.uses > 0:
			st.Uses[u.Name] = u.uses
		}
	}
	if err := m.d.store.Save(st); err != nil {
		m.d.log.Warn("door codes: guest codes and uses not saved", "err", err)
	}
}

// counted reports whether u's uses are kept in the store.
func (u *accessUser) counted() bool { return u.guest != nil || u.MaxUses > 0 }
