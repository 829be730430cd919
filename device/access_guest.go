package device

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// This file is door.access's guest codes: one-time or time-limited codes
// the admin creates on the web page or the API, kept (hashed) with the
// use counts in an AccessStore so that they survive restarts.

// maxGuests bounds the guest codes: each is one more hash to compute
// for every code entered.
const maxGuests = 16

// guestCodeDigits is the length of the codes AddGuest makes.
const guestCodeDigits = 8

// Guest code errors.
var (
	ErrGuestExists  = errors.New("the name is taken")
	ErrGuestUnknown = errors.New("no such guest code")
	ErrGuestsFull   = fmt.Errorf("at most %d guest codes", maxGuests)
	ErrGuestInvalid = errors.New("invalid guest code")
)

// Guest is a guest code as kept in the AccessStore and listed (its
// hash is never listed).
type Guest struct {
	Name       string    `json:"name"`
	CodeHash   string    `json:"code_hash,omitempty"`
	Relays     []int     `json:"relays"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	MaxUses    int       `json:"max_uses"`
	Uses       int       `json:"uses"`
	Created    time.Time `json:"created"`
	By         string    `json:"by"` // who created it ("api:admin")
}

// AccessState is what door.access keeps across restarts.
type AccessState struct {
	Guests []Guest `json:"guests"`
	// Uses are the configured users' uses of codes with a max_uses, by
	// user name.
	Uses map[string]int `json:"uses,omitempty"`
}

// AccessStore keeps the AccessState (a file in the state directory).
// Save is called on the door's goroutine after each change.
type AccessStore interface {
	Load() (AccessState, error)
	Save(AccessState) error
}

// GuestRequest asks for a guest code.
type GuestRequest struct {
	Name       string
	Relays     []int     // empty: relay 1
	ValidUntil time.Time // zero: no end (then MaxUses must be set)
	MaxUses    int       // 0: no limit (then ValidUntil must be set)
}

// check says what is wrong with r for a door with relays relays at now.
func (r GuestRequest) check(relays int, now time.Time) error {
	var msg string
	switch {
	case r.Name == "" || len(r.Name) > 64 || strings.ContainsAny(r.Name, "\r\n\x00"):
		msg = "name: 1 to 64 characters on one line"
	case r.ValidUntil.IsZero() && r.MaxUses == 0:
		msg = "a guest code needs valid_until or max_uses"
	case !r.ValidUntil.IsZero() && !r.ValidUntil.After(now):
		msg = "valid_until is in the past"
	case r.ValidUntil.After(now.AddDate(1, 0, 0)):
		msg = "valid_until is more than a year away"
	case r.MaxUses < 0 || r.MaxUses > 1000:
		msg = "max_uses: 0 to 1000"
	}
	for _, n := range r.Relays {
		if n < 1 || n > relays {
			msg = fmt.Sprintf("relays: %d is not a relay from 1 to %d", n, relays)
		}
	}
	if msg != "" {
		return fmt.Errorf("%w: %s", ErrGuestInvalid, msg)
	}
	return nil
}

// newGuestCode returns a random code of guestCodeDigits digits.
func newGuestCode() (string, error) {
	var b strings.Builder
	for range guestCodeDigits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("device: guest code: %w", err)
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String(), nil
}

// guestReq is a change to the guest codes, run on the door's goroutine.
type guestReq struct {
	add    *Guest // add this guest
	revoke string // revoke the guest of this name
	reply  chan guestReply
}

type guestReply struct {
	guests []Guest
	err    error
}

// run applies the request on the door (the door station only).
func (r guestReq) run(_ context.Context, m machine) {
	d, ok := m.(*door)
	if !ok {
		r.reply <- guestReply{err: ErrNotDoor}
		return
	}
	err := d.changeGuests(r)
	r.reply <- guestReply{guests: d.guestList(), err: err}
}

// AddGuest creates a guest code for r on behalf of who ("api:admin") and
// returns the code, which is shown this once and stored only hashed.
// The hashing runs on the caller's goroutine.
func (d *Device) AddGuest(ctx context.Context, who string, r GuestRequest) (string, Guest, error) {
	now := d.clock.Now()
	if err := r.check(1+len(d.cfg.Door.Relays), now); err != nil {
		return "", Guest{}, fmt.Errorf("device: add guest %q: %w", r.Name, err)
	}
	code, err := newGuestCode()
	if err != nil {
		return "", Guest{}, err
	}
	hash, err := HashCode(code, nil)
	if err != nil {
		return "", Guest{}, err
	}
	g := Guest{Name: r.Name, CodeHash: hash, Relays: slices.Clone(r.Relays), ValidUntil: r.ValidUntil.UTC(),
		MaxUses: r.MaxUses, Created: now.UTC(), By: who}
	if len(g.Relays) == 0 {
		g.Relays = []int{1}
	}
	if _, err := d.guestCall(ctx, guestReq{add: &g}); err != nil {
		return "", Guest{}, fmt.Errorf("device: add guest %q: %w", r.Name, err)
	}
	g.CodeHash = ""
	return code, g, nil
}

// RevokeGuest removes the guest code of name (who: "api:admin").
func (d *Device) RevokeGuest(ctx context.Context, who, name string) error {
	if _, err := d.guestCall(ctx, guestReq{revoke: name}); err != nil {
		return fmt.Errorf("device: revoke guest %q by %s: %w", name, who, err)
	}
	return nil
}

// Guests lists the guest codes in force (never a code or its hash).
func (d *Device) Guests(ctx context.Context) ([]Guest, error) {
	gs, err := d.guestCall(ctx, guestReq{})
	if err != nil {
		return nil, fmt.Errorf("device: list guests: %w", err)
	}
	return gs, nil
}

func (d *Device) guestCall(ctx context.Context, r guestReq) ([]Guest, error) {
	r.reply = make(chan guestReply, 1)
	if err := d.send(ctx, r); err != nil {
		return nil, err
	}
	select {
	case rep := <-r.reply:
		return rep.guests, rep.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-d.done:
		return nil, ErrStopped
	}
}
