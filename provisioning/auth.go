package provisioning

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PasswordFile is the name, in the state dir, of the admin password hash.
const PasswordFile = "admin-password"

// pbkdf2Iter is chosen so a check takes a fraction of a second on a
// Pi Zero; logins are rate-limited and sessions avoid repeated checks.
const pbkdf2Iter = 50_000

// passwordHash is "pbkdf2-sha256$<iter>$<salt>$<key>" (base64, no padding).
type passwordHash string

func hashPassword(pw string) (passwordHash, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, pbkdf2Iter, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return passwordHash(fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Iter, enc.EncodeToString(salt), enc.EncodeToString(key))), nil
}

// verify compares pw with the hash in constant time.
func (h passwordHash) verify(pw string) bool {
	parts := strings.Split(string(h), "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err != nil || err1 != nil || err2 != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// ensurePassword returns the admin password hash: from the configured
// password when there is one (stored when it changed), else the stored
// one, else a generated password that is logged once and stored.
func ensurePassword(stateDir, configured string, log *slog.Logger) (passwordHash, error) {
	path := filepath.Join(stateDir, PasswordFile)
	stored, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin password: %w", err)
	}
	h := passwordHash(strings.TrimSpace(string(stored)))
	if configured != "" && configured != Redacted {
		if h != "" && h.verify(configured) {
			return h, nil
		}
		return storePassword(path, configured)
	}
	if h != "" {
		return h, nil
	}
	pw, err := generatePassword()
	if err != nil {
		return "", err
	}
	h, err = storePassword(path, pw)
	if err != nil {
		return "", err
	}
	log.Warn("no admin password configured: generated one, shown only this once", "user", "admin", "password", pw)
	return h, nil
}

func storePassword(path, pw string) (passwordHash, error) {
	h, err := hashPassword(pw)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("admin password: %w", err)
	}
	if err := WriteFileAtomic(path, []byte(h+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin password: %w", err)
	}
	return h, nil
}

// generatePassword returns 16 random characters that are easy to type.
func generatePassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// Login rate limiting: a few free attempts, then a lock that doubles with
// every further failure.
const (
	freeFailures = 5
	lockMin      = time.Second
	lockMax      = 15 * time.Minute
	maxTracked   = 4096
)

type failState struct {
	n      int
	until  time.Time
	lastAt time.Time
}

// limiter counts failed logins per source address.
type limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failState
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*failState{}}
}

// wait returns how long addr must wait before trying again (0: may try).
func (l *limiter) wait(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.m[addr]; s != nil {
		if d := s.until.Sub(l.now()); d > 0 {
			return d
		}
	}
	return 0
}

// fail records a failed attempt from addr.
func (l *limiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) >= maxTracked {
		for k, s := range l.m { // forget the quiet ones
			if now.Sub(s.lastAt) > time.Hour {
				delete(l.m, k)
			}
		}
	}
	s := l.m[addr]
	if s == nil {
		if len(l.m) >= maxTracked {
			return
		}
		s = &failState{}
		l.m[addr] = s
	}
	s.n++
	s.lastAt = now
	if s.n > freeFailures {
		d := min(lockMin<<min(s.n-freeFailures-1, 20), lockMax)
		s.until = now.Add(d)
	}
}

// succeed forgets addr's failures.
func (l *limiter) succeed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, addr)
}

// Sessions.
const (
	sessionCookie = "sipbell_session"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 64
)

type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]time.Time // token -> expiry
}

func (s *sessions) create() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= maxSessions {
		oldest, ot := "", time.Time{}
		for k, exp := range s.m {
			if exp.Before(now) {
				delete(s.m, k)
			} else if oldest == "" || exp.Before(ot) {
				oldest, ot = k, exp
			}
		}
		if len(s.m) >= maxSessions {
			delete(s.m, oldest)
		}
	}
	s.m[tok] = now.Add(sessionTTL)
	return tok, nil
}

// valid reports whether tok is a live session, extending it.
func (s *sessions) valid(tok string) bool {
	if tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[tok]
	now := s.now()
	if !ok || exp.Before(now) {
		delete(s.m, tok)
		return false
	}
	s.m[tok] = now.Add(sessionTTL)
	return true
}

func (s *sessions) drop(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, tok)
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
