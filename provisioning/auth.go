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
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
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

// Login rate limiting: per source, a few free attempts, then a lock that
// doubles with every further failure; and for all sources together a
// budget of failures, so that no number of sources gets more guesses
// than globalBurst at once and one every globalEvery after that.
const (
	freeFailures = 5
	lockMin      = time.Second
	lockMax      = 15 * time.Minute
	maxTracked   = 4096
	globalBurst  = 20
	globalEvery  = 6 * time.Second
	// A source that logged in within goodFor (at most maxGood of them)
	// is not held to the global budget, only to its own limit: the
	// admin's own address can still log in while others flood.
	goodFor = 24 * time.Hour
	maxGood = 16
)

type failState struct {
	n      int
	until  time.Time
	lastAt time.Time
}

// limiter counts failed logins per source (an IPv4 address, an IPv6 /64)
// and for all sources together. An attempt is charged before the
// password is checked and refunded when it was right, so that parallel
// attempts cannot all pass one check.
type limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failState
	// Global budget: tokens at tokAt; one more every globalEvery.
	tokens float64
	tokAt  time.Time
	good   map[string]time.Time // source -> last successful login
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*failState{}, tokens: globalBurst, tokAt: now(), good: map[string]time.Time{}}
}

// sourceKey is what a source is limited by: its IPv4 address, or the /64
// of its IPv6 address (one host gets a whole /64).
func sourceKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// attempt charges an attempt from addr. It returns 0 when the password
// may be checked, else how long addr must wait (nothing is charged).
func (l *limiter) attempt(addr string) time.Duration {
	key := sourceKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if s := l.m[key]; s != nil {
		if d := s.until.Sub(now); d > 0 {
			return d
		}
	}
	l.refill(now)
	if at, ok := l.good[key]; !ok || now.Sub(at) > goodFor {
		if l.tokens < 1 {
			return time.Duration((1 - l.tokens) * float64(globalEvery))
		}
		l.tokens--
	}
	s := l.m[key]
	if s == nil {
		if len(l.m) >= maxTracked {
			for k, s := range l.m { // forget the quiet ones
				if now.Sub(s.lastAt) > time.Hour && s.until.Before(now) {
					delete(l.m, k)
				}
			}
		}
		if len(l.m) >= maxTracked {
			return 0 // charged to the global budget only
		}
		s = &failState{}
		l.m[key] = s
	}
	s.n++
	s.lastAt = now
	if s.n > freeFailures {
		d := min(lockMin<<min(s.n-freeFailures-1, 20), lockMax)
		s.until = now.Add(d)
	}
	return 0
}

func (l *limiter) refill(now time.Time) {
	if el := now.Sub(l.tokAt); el > 0 {
		l.tokens = min(globalBurst, l.tokens+float64(el)/float64(globalEvery))
	}
	l.tokAt = now
}

// succeed refunds the attempt, forgets addr's failures and remembers
// addr as a source the admin logs in from.
func (l *limiter) succeed(addr string) {
	key := sourceKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	delete(l.m, key)
	l.refill(now)
	if at, ok := l.good[key]; !ok || now.Sub(at) > goodFor {
		l.tokens = min(globalBurst, l.tokens+1) // it was charged
	}
	if _, ok := l.good[key]; !ok && len(l.good) >= maxGood {
		oldest, ot := "", time.Time{}
		for k, at := range l.good {
			if oldest == "" || at.Before(ot) {
				oldest, ot = k, at
			}
		}
		delete(l.good, oldest)
	}
	l.good[key] = now
}

// tracked is how many sources the limiter holds.
func (l *limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// Failed logins are logged as one line for the first, then one summary
// per loginLogEvery while they go on.
const loginLogEvery = time.Minute

// failLog rate-limits the log lines of refused logins.
type failLog struct {
	log *slog.Logger
	clk clockwork.Clock

	mu       sync.Mutex
	open     bool // a summary is due at the end of the interval
	wrong    int  // wrong passwords since the last line
	limited  int  // attempts refused by the rate limits since the last line
	sources  map[string]struct{}
	examples []string
}

func (f *failLog) note(addr string, limited bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open {
		f.open = true
		f.clk.AfterFunc(loginLogEvery, f.flush)
		if !limited {
			f.log.Warn("admin login failed", "from", addr)
			return
		}
	}
	if limited {
		f.limited++
	} else {
		f.wrong++
	}
	if f.sources == nil {
		f.sources = map[string]struct{}{}
	}
	if _, ok := f.sources[addr]; !ok && len(f.sources) < maxTracked {
		f.sources[addr] = struct{}{}
		if len(f.examples) < 5 {
			f.examples = append(f.examples, addr)
		}
	}
}

// flush writes the summary of the interval that ended, and keeps the
// summary going while refusals go on.
func (f *failLog) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wrong == 0 && f.limited == 0 {
		f.open = false
		return
	}
	f.log.Warn("admin logins refused", "in", loginLogEvery, "wrong_password", f.wrong, "rate_limited", f.limited,
		"sources", len(f.sources), "e.g.", strings.Join(f.examples, " "))
	f.wrong, f.limited, f.sources, f.examples = 0, 0, nil, nil
	f.clk.AfterFunc(loginLogEvery, f.flush)
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

// alive reports whether tok is a live session, without extending it.
func (s *sessions) alive(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[tok]
	return ok && !exp.Before(s.now())
}

// dropAll ends every session (the password changed).
func (s *sessions) dropAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.m)
	clear(s.m)
	return n
}

func (s *sessions) drop(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, tok)
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
