package device

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"golang.org/x/crypto/argon2"
)

// This file is device.door.access: per-user door codes, stored as
// argon2id hashes, entered by DTMF in a call or on the board's keypad,
// with validity periods, weekly windows, a use limit and a lock-out.

// The argon2id cost of the hashes HashCode makes: one pass over 8 MiB
// on one lane. It is chosen for a Raspberry Pi Zero (ARMv6, one core),
// where each code entered is checked against every user's hash (by one
// worker, off the door's goroutine: access_check.go); a short numeric code is protected by the
// lock-out, the hash only keeps the codes out of configuration files and
// backups in the clear.
const (
	hashTime    = 1
	hashMemory  = 8 * 1024 // KiB
	hashThreads = 1
	hashKeyLen  = 32
	hashSaltLen = 16
)

// Bounds on the hashes a configuration may carry, so that a hash cannot
// make every code entered cost the device seconds or its memory.
const (
	maxHashTime    = 4
	maxHashMemory  = 64 * 1024
	maxHashThreads = 4
	maxAccessUsers = 32
	maxCodeKeys    = 16
	maxLockSources = 64
)

// ErrBadHash is returned for a code hash that is not one HashCode makes.
var ErrBadHash = errors.New("not an argon2id code hash")

// AccessConfig is device.door.access: who may open which relays with a
// code of their own.
type AccessConfig struct {
	// Users are the people with a door code of their own. A code is
	// entered as its digits followed by "#", by DTMF in a call (from a
	// caller whose identity is verified, or a party the door called) or
	// on the board's keypad; a right code pulses that user's relays and
	// the history records the user's name (never the code). While users
	// are configured, "#" after other keys ends a code entry, so
	// door.code should not end in "#" after other keys.
	Users []AccessUser `yaml:"users"`
	// MaxFailures is how many wrong codes one source (a caller's identity,
	// or the keypad) may enter before it is locked out (1 to 100).
	MaxFailures int `yaml:"max_failures"`
	// Lockout is how long a source that reached max_failures is ignored;
	// its failures are forgotten once it has passed (10s to 24h).
	Lockout time.Duration `yaml:"lockout"`
	// KeypadWindows are the weekly times codes keyed on the keypad (without
	// a call) may open at all, e.g. office hours; empty: always. The
	// users' own windows apply besides.
	KeypadWindows []Window `yaml:"keypad_windows"`
	// TimeZone is the IANA zone ("Europe/Berlin") of the users' windows
	// and the schedules (device.dnd's too); empty: device.time_zone's,
	// and UTC when that is empty as well.
	TimeZone string `yaml:"time_zone"`
}

// AccessUser is one person's door code and what it opens.
type AccessUser struct {
	// Name is who the history and the log name when the code opens
	// the door.
	Name string `yaml:"name"`
	// CodeHash is the argon2id hash of the code (digits 0-9, *, A-D,
	// without the closing "#"), as `sipbell -hash-code` prints it for a
	// code given on its standard input. The code itself is never stored.
	CodeHash string `yaml:"code_hash"`
	// Relays are the door relays (1 is the first) the code pulses;
	// empty means relay 1.
	Relays []int `yaml:"relays"`
	// ValidFrom is when the code starts to work, RFC 3339
	// ("2026-12-24T18:00:00+01:00"); empty: at once. With ValidUntil it
	// makes a guest's code.
	ValidFrom string `yaml:"valid_from"`
	// ValidUntil is when the code stops working, RFC 3339; empty: never.
	ValidUntil string `yaml:"valid_until"`
	// MaxUses is how many times the code may open the door (0: no limit);
	// the uses are counted by the user's name and kept in the state
	// directory across restarts and configuration changes.
	MaxUses int `yaml:"max_uses"`
	// Windows are the weekly times the code works (empty: always).
	Windows []Window `yaml:"windows"`
}

// HashCode returns the argon2id hash of code with a random salt, in the
// form access users' code_hash takes.
func HashCode(code string, random io.Reader) (string, error) {
	if msg := checkCode(code); msg != "" {
		return "", fmt.Errorf("device: hash code: %s", msg)
	}
	if random == nil {
		random = rand.Reader
	}
	salt := make([]byte, hashSaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("device: hash code: salt: %w", err)
	}
	key := argon2.IDKey([]byte(code), salt, hashTime, hashMemory, hashThreads, hashKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, hashMemory, hashTime,
		hashThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkCode says what is wrong with a code ("" when nothing).
func checkCode(code string) string {
	if code == "" || len(code) > maxCodeKeys {
		return fmt.Sprintf("a code has 1 to %d keys", maxCodeKeys)
	}
	for _, r := range code {
		if r == '#' || !strings.ContainsRune(dtmfDigits, r) {
			return "a code's keys are 0-9, *, A-D (# ends it)"
		}
	}
	return ""
}

// codeHash is a parsed argon2id hash.
type codeHash struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads a hash HashCode made, within the cost bounds.
func parseHash(s string) (codeHash, error) {
	var h codeHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, ErrBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); err != nil {
		return h, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	if h.time < 1 || h.time > maxHashTime || h.memory < 8*threads || h.memory > maxHashMemory ||
		threads < 1 || threads > maxHashThreads {
		return h, fmt.Errorf("%w: cost %q beyond t<=%d, m<=%d, p<=%d", ErrBadHash, parts[3],
			maxHashTime, maxHashMemory, maxHashThreads)
	}
	h.threads = uint8(threads)
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, fmt.Errorf("%w: key", ErrBadHash)
	}
	return h, nil
}

// matches reports whether code hashes to h.
func (h codeHash) matches(code string) bool {
	k := argon2.IDKey([]byte(code), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

// DefaultMaxFailures and DefaultLockout are the lock-out when none is set.
const (
	DefaultMaxFailures = 5
	DefaultLockout     = 5 * time.Minute
)

func (c AccessConfig) validate(relays int) error {
	var errs cfgerr.List
	if len(c.Users) > maxAccessUsers {
		errs.Add("users", "at most %d users, not %d", maxAccessUsers, len(c.Users))
	}
	names := map[string]bool{}
	for i, u := range c.Users {
		errs.Merge(cfgerr.Index("users", i), u.validate(relays))
		if names[u.Name] {
			errs.Add(cfgerr.Index("users", i)+".name", "%q is named twice", u.Name)
		}
		names[u.Name] = true
	}
	if c.MaxFailures < 1 || c.MaxFailures > 100 {
		errs.Add("max_failures", "must be between 1 and 100, not %d", c.MaxFailures)
	}
	checkRange(&errs, "lockout", c.Lockout, 10*time.Second, 24*time.Hour, false)
	for i, w := range c.KeypadWindows {
		errs.Merge(cfgerr.Index("keypad_windows", i), w.validate())
	}
	if _, err := loadZone(c.TimeZone); err != nil {
		errs.Add("time_zone", "%v", err)
	}
	return errs.Err()
}

func (u AccessUser) validate(relays int) error {
	var errs cfgerr.List
	if u.Name == "" || len(u.Name) > 64 || strings.ContainsAny(u.Name, "\r\n") {
		errs.Add("name", "must be 1 to 64 characters on one line")
	}
	if _, err := parseHash(u.CodeHash); err != nil {
		errs.Add("code_hash", "%v (make one with: sipbell -hash-code < code.txt)", err)
	}
	for i, r := range u.Relays {
		if r < 1 || r > relays {
			errs.Add(cfgerr.Index("relays", i), "must be a relay from 1 to %d, not %d", relays, r)
		}
	}
	from, err1 := parseTime(u.ValidFrom)
	if err1 != nil {
		errs.Add("valid_from", "%v", err1)
	}
	until, err2 := parseTime(u.ValidUntil)
	if err2 != nil {
		errs.Add("valid_until", "%v", err2)
	}
	if err1 == nil && err2 == nil && !from.IsZero() && !until.IsZero() && !until.After(from) {
		errs.Add("valid_until", "must be after valid_from")
	}
	if u.MaxUses < 0 {
		errs.Add("max_uses", "must be 0 (no limit) or more, not %d", u.MaxUses)
	}
	for i, w := range u.Windows {
		errs.Merge(cfgerr.Index("windows", i), w.validate())
	}
	return errs.Err()
}

// parseTime reads an RFC 3339 time; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("must be an RFC 3339 time such as 2026-12-24T18:00:00+01:00, not %q", s)
	}
	return t, nil
}

// loadZone returns the named zone, UTC for "".
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}
