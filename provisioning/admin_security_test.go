package provisioning

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a log buffer safe to read while the server writes it.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cheapPasswordEnv is an admin server whose password hash takes one
// PBKDF2 round, so thousands of wrong tries cost no CPU. Its log goes to
// logs.
func cheapPasswordEnv(t *testing.T, logs *lockedBuf) *adminEnv {
	t.Helper()
	dir := t.TempDir()
	salt := []byte("0123456789abcdef")
	key, err := pbkdf2.Key(sha256.New, testAdminPW, salt, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawStdEncoding
	h := fmt.Sprintf("pbkdf2-sha256$1$%s$%s\n", enc.EncodeToString(salt), enc.EncodeToString(key))
	if err := os.WriteFile(filepath.Join(dir, PasswordFile), []byte(h), 0o600); err != nil {
		t.Fatal(err)
	}
	return newAdminEnv(t, func(o *AdminOptions) {
		o.StateDir = dir
		if logs != nil {
			o.Log = slog.New(slog.NewTextHandler(logs, nil))
		}
	})
}

// loginFrom posts a login for password pw as if from addr, in process.
func loginFrom(h http.Handler, addr, pw string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"password":"`+pw+`"}`))
	req.RemoteAddr = net.JoinHostPort(addr, "40000")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func countLines(s, sub string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// TestAdminLimiterFillAttack: one wrong try from each of 4,100 sources
// (more than the per-source table holds) does not leave a fresh source
// free to guess: the global budget refuses it (429) until it refills; the
// table stays bounded; a session keeps working, and so does a login from
// an address the admin logged in from before; the log gets a line and
// then one summary per interval, not a line per try.
func TestAdminLimiterFillAttack(t *testing.T) {
	t.Parallel()
	var logs lockedBuf
	e := cheapPasswordEnv(t, &logs)
	h := e.admin.Handler()
	if rec := loginFrom(h, "127.0.0.2", testAdminPW); rec.Code != 204 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookie := rec0Cookie(t, loginFrom(h, "127.0.0.2", testAdminPW))
	codes := map[int]int{}
	for i := range 4100 {
		codes[loginFrom(h, fmt.Sprintf("127.%d.%d.%d", 1+i/62500, i/250%250, 1+i%250), "guess").Code]++
	}
	t.Logf("4,100 sources, one wrong try each: %v", codes)
	if codes[401] > globalBurst {
		t.Errorf("%d passwords checked, global budget is %d", codes[401], globalBurst)
	}
	fresh := map[int]int{}
	for range 30 {
		fresh[loginFrom(h, "127.250.0.1", "guess").Code]++
	}
	if fresh[429] != 30 {
		t.Fatalf("a fresh source after the fill: %v, want 30 × 429", fresh)
	}
	if n := e.admin.limiter.tracked(); n > maxTracked {
		t.Errorf("limiter holds %d sources, bound %d", n, maxTracked)
	}
	// A logged-in admin is not locked out.
	req := httptest.NewRequest("GET", "/api/status", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("session during the attack: %d", rec.Code)
	}
	// The admin's own address, which logged in before, still can.
	if rec := loginFrom(h, "127.0.0.2", testAdminPW); rec.Code != 204 {
		t.Fatalf("the admin's address during the attack: %d %s", rec.Code, rec.Body)
	}
	// The budget refills: one try per globalEvery.
	e.clk.Advance(globalEvery)
	if rec := loginFrom(h, "127.250.0.2", testAdminPW); rec.Code != 204 {
		t.Fatalf("after %s: %d %s", globalEvery, rec.Code, rec.Body)
	}
	if got := countLines(logs.String(), "admin login"); got != 1 {
		t.Fatalf("%d log lines during the attack, want 1:\n%s", got, logs.String())
	}
	e.clk.Advance(loginLogEvery)
	<-waitUntil(func() bool { return countLines(logs.String(), "admin logins refused") == 1 })
	t.Logf("log: %s", logs.String())
}

func rec0Cookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := rec.Result().Cookies()
	if rec.Code != 204 || len(cs) != 1 {
		t.Fatalf("login: %d %v", rec.Code, cs)
	}
	return cs[0]
}

// TestAdminForwardedForNotTrusted: a source locked out stays locked out
// whatever X-Forwarded-For it sends, over a real connection from a
// loopback address of its own.
func TestAdminForwardedForNotTrusted(t *testing.T) {
	t.Parallel()
	e := cheapPasswordEnv(t, nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	post := func(xff string) int {
		req, _ := http.NewRequest("POST", e.URL+"/api/login", strings.NewReader(`{"password":"guess"}`))
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
			req.Header.Set("X-Real-IP", xff)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range freeFailures + 1 {
		post("")
	}
	for i := range 5 {
		if code := post(fmt.Sprintf("198.51.100.%d", i+1)); code != 429 {
			t.Fatalf("X-Forwarded-For got a fresh budget: %d", code)
		}
	}
}

// TestAdminPasswordChangeEndsSessions: sessions opened with the old
// password end when it changes; setting the same password again ends
// nothing.
func TestAdminPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	h := e.admin.Handler()
	cookie := rec0Cookie(t, loginFrom(h, "127.0.0.1", testAdminPW))
	status := func() int {
		req := httptest.NewRequest("GET", "/api/status", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if err := e.admin.SetPassword(testAdminPW); err != nil || status() != 200 {
		t.Fatalf("same password: %v, session %d", err, status())
	}
	if err := e.admin.SetPassword("a-new-password"); err != nil {
		t.Fatal(err)
	}
	if code := status(); code != 401 {
		t.Fatalf("session after a password change: %d, want 401", code)
	}
	if rec := loginFrom(h, "127.0.0.1", testAdminPW); rec.Code != 401 {
		t.Fatalf("old password: %d", rec.Code)
	}
	cookie = rec0Cookie(t, loginFrom(h, "127.0.0.1", "a-new-password"))
	if code := status(); code != 200 {
		t.Fatalf("new session: %d", code)
	}
}

// TestAdminCrossOriginRefusedWhateverAuth: a state-changing request a
// page of another site makes (a text/plain POST, which needs no CORS
// preflight) is refused with Basic credentials too, by Origin or by
// Referer; the same origin and non-browser clients pass.
func TestAdminCrossOriginRefusedWhateverAuth(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	for _, tc := range []struct {
		name, path, origin, referer string
		want                        int
	}{
		{"Basic, other origin", "/api/actions/open-door", "https://evil.example", "", 403},
		{"Basic, origin null", "/api/actions/open-door", "null", "", 403},
		{"Basic, other referer", "/api/actions/open-door", "", "https://evil.example/page", 403},
		{"Basic, other scheme", "/api/actions/open-door", "https://" + e.Listener.Addr().String(), "", 403},
		{"login, other origin", "/api/login", "https://evil.example", "", 403},
		{"Basic, same origin", "/api/actions/open-door", e.URL, "", 200},
		{"Basic, same referer", "/api/actions/open-door", "", e.URL + "/", 200},
		{"Basic, no browser", "/api/actions/open-door", "", "", 200},
	} {
		req, _ := http.NewRequest("POST", e.URL+tc.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "text/plain")
		req.SetBasicAuth("admin", testAdminPW)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if tc.referer != "" {
			req.Header.Set("Referer", tc.referer)
		}
		res, err := e.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	if got := e.actions.got(); got != "open-door,open-door,open-door" {
		t.Fatalf("actions done: %q, want three open-door", got)
	}
}

// TestAdminHSTS: HTTPS answers carry Strict-Transport-Security; plain
// HTTP ones cannot (RFC 6797 §7.2) and do not.
func TestAdminHSTS(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	s := httptest.NewTLSServer(e.admin.Handler())
	defer s.Close()
	res, err := s.Client().Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Strict-Transport-Security"); got != fmt.Sprintf("max-age=%d", int(hstsMaxAge/time.Second)) {
		t.Fatalf("HTTPS: Strict-Transport-Security %q", got)
	}
	res, _ = e.do(t, "GET", "/", "", "")
	if got := res.Header.Get("Strict-Transport-Security"); got != "" {
		t.Fatalf("HTTP: Strict-Transport-Security %q", got)
	}
}
