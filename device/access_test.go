package device

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// cheapHash hashes code at the lowest cost the parser takes, so that the
// tables below stay quick under the race detector; the cost is the
// hash's own (HashCode's is tested on its own).
func cheapHash(t testing.TB, code string) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(code), salt, 1, 64, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestHashCode(t *testing.T) {
	h, err := HashCode("1234", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "1234") || !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	ph, err := parseHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !ph.matches("1234") || ph.matches("1235") {
		t.Fatal("the hash does not tell 1234 from 1235")
	}
	h2, _ := HashCode("1234", nil)
	if h2 == h {
		t.Fatal("two hashes of one code are equal: no salt")
	}
	for _, bad := range []string{"", "12#4", "12345678901234567", "12x"} {
		if _, err := HashCode(bad, nil); err == nil {
			t.Errorf("HashCode(%q) accepted", bad)
		}
	}
}

func TestParseHashBounds(t *testing.T) {
	good := cheapHash(t, "1")
	tests := []struct{ name, hash string }{
		{"not argon2id", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"memory too high", strings.Replace(good, "m=64", "m=1048576", 1)},
		{"too many passes", strings.Replace(good, "t=1", "t=50", 1)},
		{"too many lanes", strings.Replace(good, "p=1", "p=9", 1)},
		{"no key", good[:strings.LastIndex(good, "$")]},
		{"plain code", "1234"},
	}
	for _, tt := range tests {
		if _, err := parseHash(tt.hash); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: %q: err %v, want ErrBadHash", tt.name, tt.hash, err)
		}
	}
	if _, err := parseHash(good); err != nil {
		t.Fatalf("good hash: %v", err)
	}
}

// TestAccessTable: codes on a fake clock: validity, guest expiry, use
// limits, weekly windows in the configured zone, and the lock-out that
// counts per source, bounds its table and heals by itself.
func TestAccessTable(t *testing.T) {
	// Monday 2026-12-07 08:00 in Berlin (07:00 UTC).
	mon8 := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	cfg := AccessConfig{TimeZone: "Europe/Berlin", MaxFailures: 3, Lockout: time.Minute, Users: []AccessUser{
		{Name: "anna", CodeHash: cheapHash(t, "1111"), Relays: []int{1, 2}},
		{Name: "guest", CodeHash: cheapHash(t, "2222"), ValidFrom: mon8.Add(time.Hour).Format(time.RFC3339),
			ValidUntil: mon8.Add(3 * time.Hour).Format(time.RFC3339)},
		{Name: "once", CodeHash: cheapHash(t, "3333"), MaxUses: 1},
		{Name: "cleaner", CodeHash: cheapHash(t, "4444"), Windows: []Window{{Days: []string{"mon", "wed"}, From: "07:30", Until: "09:00"}}},
		{Name: "night", CodeHash: cheapHash(t, "5555"), Windows: []Window{{Days: []string{"sun"}, From: "22:00", Until: "06:00"}}},
	}}
	if err := cfg.validate(2); err != nil {
		t.Fatal(err)
	}
	type try struct {
		at     time.Duration // after mon8
		source string
		code   string
		user   string
		err    error
	}
	tests := []struct {
		name  string
		tries []try
	}{
		{"a user's code opens, always", []try{{0, "a", "1111", "anna", nil}, {72 * time.Hour, "a", "1111", "anna", nil}}},
		{"guest only within its period", []try{
			{0, "a", "2222", "guest", ErrCodeNotNow}, {time.Hour, "a", "2222", "guest", nil},
			{3 * time.Hour, "a", "2222", "guest", ErrCodeNotNow}}},
		{"one use", []try{{0, "a", "3333", "once", nil}, {time.Minute, "a", "3333", "once", ErrCodeNotNow}}},
		{"weekly window in Berlin time", []try{
			{0, "a", "4444", "cleaner", nil},                          // Mon 08:00
			{61 * time.Minute, "a", "4444", "cleaner", ErrCodeNotNow}, // Mon 09:01
			{24 * time.Hour, "a", "4444", "cleaner", ErrCodeNotNow},   // Tue 08:00
			{48 * time.Hour, "a", "4444", "cleaner", nil}}},           // Wed 08:00
		{"a window across midnight belongs to its start day", []try{
			{-2 * time.Hour, "a", "5555", "night", nil},             // Mon 06:00: closed
			{-3 * time.Hour, "a", "5555", "night", nil},             // Mon 05:00 after Sunday
			{22 * time.Hour, "a", "5555", "night", ErrCodeNotNow}}}, // Tue 06:00 after Monday
		{"lock-out after max_failures, per source, heals", []try{
			{0, "mallory", "9999", "", ErrWrongCode}, {1, "mallory", "9998", "", ErrWrongCode},
			{2, "mallory", "9997", "", ErrLockedOut},
			{3, "mallory", "1111", "", ErrLockedOut}, // even the right code
			{4, "anna-phone", "1111", "anna", nil},   // another source is not locked
			{time.Minute + 2, "mallory", "1111", "anna", nil}}},
		{"failures heal after the lock-out time", []try{
			{0, "m", "9", "", ErrWrongCode}, {1, "m", "9", "", ErrWrongCode},
			{time.Minute + 1, "m", "9", "", ErrWrongCode}, {time.Minute + 2, "m", "9", "", ErrWrongCode}}},
		{"a right code clears the source's failures", []try{
			{0, "m", "9", "", ErrWrongCode}, {1, "m", "9", "", ErrWrongCode}, {2, "m", "1111", "anna", nil},
			{3, "m", "9", "", ErrWrongCode}, {4, "m", "9", "", ErrWrongCode}}},
		{"no code, or keys a code cannot have", []try{{0, "m", "", "", ErrWrongCode}, {1, "m", "12#", "", ErrWrongCode}}},
	}
	// The night window: Sunday 22:00 to Monday 06:00; mon8-2h is Monday
	// 06:00 Berlin, closed; mon8-3h is 05:00, open.
	tests[4].tries[0].err = ErrCodeNotNow
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccess(cfg)
			for i, tr := range tt.tries {
				u, err := a.check(tr.source, tr.code, mon8.Add(tr.at), true)
				name := ""
				if u != nil {
					name = u.Name
				}
				if !errors.Is(err, tr.err) || (tr.err == nil && err != nil) || name != tr.user {
					t.Fatalf("try %d (%s at %v): user %q err %v, want %q %v", i, tr.source, tr.at, name, err, tr.user, tr.err)
				}
				if err != nil && strings.Contains(err.Error(), tr.code) && tr.code != "" {
					t.Errorf("try %d: the error shows the code: %v", i, err)
				}
			}
		})
	}
}

// TestAccessLockTableBounded: a flood of sources fills the table to its
// bound; the rest share one lock-out, which cannot push out another's.
func TestAccessLockTableBounded(t *testing.T) {
	a := newAccess(AccessConfig{MaxFailures: 2, Lockout: time.Minute, Users: []AccessUser{{Name: "anna", CodeHash: cheapHash(t, "1111")}}})
	now := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	for range 2 {
		_, _ = a.check("victim-lockout", "0", now, true)
	}
	for i := range 1000 {
		_, _ = a.check(fmt.Sprintf("s%d", i), "0", now, true)
	}
	if len(a.locks) > maxLockSources+1 {
		t.Fatalf("%d sources tracked, bound %d", len(a.locks), maxLockSources)
	}
	if _, err := a.check("victim-lockout", "1111", now, true); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("the flood pushed out a lock-out: %v", err)
	}
	if _, err := a.check("s999", "1111", now, true); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("overflow sources share no lock-out: %v", err)
	}
}
