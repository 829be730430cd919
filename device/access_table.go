package device

import (
	"errors"
	"fmt"
	"time"
)

// Why a code did not open the door.
var (
	ErrWrongCode  = errors.New("wrong code")
	ErrLockedOut  = errors.New("locked out after too many wrong codes")
	ErrCodeNotNow = errors.New("code not valid now")
	// ErrNowLockedOut is the wrong code that locked its source out.
	ErrNowLockedOut = fmt.Errorf("%w now", ErrLockedOut)
)

// accessUser is a configured user with the hash parsed and the uses
// counted.
type accessUser struct {
	AccessUser
	hash        codeHash
	from, until time.Time
	uses        int
	guest       *Guest // a guest code (access_guest.go), nil: configured
}

// guests are the table's guest codes.
func (a *access) guests() []*accessUser {
	var out []*accessUser
	for _, u := range a.users {
		if u.guest != nil {
			out = append(out, u)
		}
	}
	return out
}

// relays are the 0-based relay indexes the user's code pulses.
func (u *accessUser) relays() []int {
	if len(u.Relays) == 0 {
		return []int{0}
	}
	out := make([]int, len(u.Relays))
	for i, r := range u.Relays {
		out[i] = r - 1
	}
	return out
}

// lockState is one source's recent wrong codes.
type lockState struct {
	fails int
	last  time.Time // the last wrong code
	until time.Time // locked out until (zero: not locked)
}

// overflowSource is the one lock-out every source shares once
// maxLockSources are being tracked, so that the table stays bounded and
// no source can push another's lock-out out of it.
const overflowSource = "\x00overflow"

// access checks codes against the users. Only the door's goroutine uses it.
type access struct {
	users   []*accessUser
	loc     *time.Location
	maxFail int
	lockout time.Duration
	locks   map[string]*lockState
}

// newAccess builds the table of a validated configuration (a user whose
// hash does not parse is left out).
func newAccess(c AccessConfig) *access {
	a := &access{maxFail: c.MaxFailures, lockout: c.Lockout, locks: map[string]*lockState{}}
	if a.maxFail == 0 {
		a.maxFail = DefaultMaxFailures
	}
	if a.lockout == 0 {
		a.lockout = DefaultLockout
	}
	a.loc, _ = loadZone(c.TimeZone)
	if a.loc == nil {
		a.loc = time.UTC
	}
	for _, u := range c.Users {
		h, err := parseHash(u.CodeHash)
		from, err1 := parseTime(u.ValidFrom)
		until, err2 := parseTime(u.ValidUntil)
		if err == nil && err1 == nil && err2 == nil {
			a.users = append(a.users, &accessUser{AccessUser: u, hash: h, from: from, until: until})
		}
	}
	return a
}

// check looks code up for source at now. It returns the user whose code
// it is and nil when the code may open now; ErrCodeNotNow (with the
// user) when it is a user's code outside its validity, windows or uses;
// ErrWrongCode when it is nobody's (counted against source); and
// ErrLockedOut, without looking, while source is locked out. A wrong
// code counts against source only when count is set. It hashes on the
// caller's goroutine: the door splits it into locked, find (on its
// check worker) and settle.
func (a *access) check(source, code string, now time.Time, count bool) (*accessUser, error) {
	if err := a.locked(source, now); err != nil {
		return nil, err
	}
	return a.settle(source, find(a.users, code, codeHash.matches), now, count)
}

// locked returns ErrLockedOut while source is locked out at now.
func (a *access) locked(source string, now time.Time) error {
	a.heal(now)
	if l := a.locks[a.key(source)]; l != nil && !l.until.IsZero() {
		return fmt.Errorf("access: code from %s: %w (%v left)", source, ErrLockedOut, l.until.Sub(now).Round(time.Second))
	}
	return nil
}

// find returns the user of users whose hash code matches (by match),
// nil when none. It only reads the users' hashes, so the door's check
// worker runs it on a snapshot of the users.
func find(users []*accessUser, code string, match func(codeHash, string) bool) *accessUser {
	if checkCode(code) != "" {
		return nil
	}
	for _, c := range users {
		if match(c.hash, code) {
			return c
		}
	}
	return nil
}

// settle counts the outcome of a code from source whose user find
// returned (nil: nobody's), as check describes.
func (a *access) settle(source string, u *accessUser, now time.Time, count bool) (*accessUser, error) {
	key := a.key(source)
	if u == nil && !count {
		return nil, fmt.Errorf("access: code from %s: %w", source, ErrWrongCode)
	}
	if u == nil {
		l := a.locks[key]
		if l == nil {
			l = &lockState{}
			a.locks[key] = l
		}
		l.fails, l.last = l.fails+1, now
		if l.fails >= a.maxFail {
			l.until = now.Add(a.lockout)
			return nil, fmt.Errorf("access: code from %s: %w (%d wrong codes)", source, ErrNowLockedOut, l.fails)
		}
		return nil, fmt.Errorf("access: code from %s: %w", source, ErrWrongCode)
	}
	if why := u.notNow(now, a.loc); why != "" {
		return u, fmt.Errorf("access: code of %s: %w: %s", u.Name, ErrCodeNotNow, why)
	}
	u.uses++
	delete(a.locks, key)
	return u, nil
}

// key is where source's failures are counted.
func (a *access) key(source string) string {
	if _, ok := a.locks[source]; ok || len(a.locks) < maxLockSources {
		return source
	}
	return overflowSource
}

// heal forgets lock-outs that are over and failures older than the
// lock-out time.
func (a *access) heal(now time.Time) {
	for s, l := range a.locks {
		if (!l.until.IsZero() && !now.Before(l.until)) || (l.until.IsZero() && now.Sub(l.last) >= a.lockout) {
			delete(a.locks, s)
		}
	}
}

// notNow says why u's code does not open at now ("" when it does).
func (u *accessUser) notNow(now time.Time, loc *time.Location) string {
	switch {
	case !u.from.IsZero() && now.Before(u.from):
		return "valid from " + u.ValidFrom
	case !u.until.IsZero() && !now.Before(u.until):
		return "expired " + u.ValidUntil
	case u.MaxUses > 0 && u.uses >= u.MaxUses:
		return fmt.Sprintf("used up (%d uses)", u.MaxUses)
	case !inWindows(u.Windows, now, loc):
		return "outside its time windows"
	}
	return ""
}
