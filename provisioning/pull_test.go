package provisioning

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icholy/digest"
	"github.com/jonboulle/clockwork"
)

var testID = Identity{MAC: net.HardwareAddr{0xb8, 0x27, 0xeb, 0x12, 0xab, 0xcd}, Serial: "0000abcd", Model: "rpi-door", Version: "1.2.3"}

// provServer is a provisioning server: it serves files by path with ETag
// and Last-Modified, optionally behind basic or digest auth, and can be
// told to misbehave.
type provServer struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string]string
	auth     string // "", "basic", "digest"
	status   int    // forced status, 0: none
	hang     bool   // never answer (until the client gives up)
	requests []*http.Request
	got200   atomic.Int32
}

const (
	provUser = "door"
	provPass = "s3cret-pass"
)

func newProvServer(t *testing.T) *provServer {
	s := &provServer{files: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *provServer) set(path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
}

func (s *provServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	body, ok := s.files[r.URL.Path]
	auth, status, hang := s.auth, s.status, s.hang
	s.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if status != 0 {
		http.Error(w, "forced", status)
		return
	}
	if !s.authorized(auth, r) {
		if auth == "digest" {
			w.Header().Set("WWW-Authenticate", `Digest realm="prov", nonce="abc123", qop="auth", algorithm=MD5`)
		} else {
			w.Header().Set("WWW-Authenticate", `Basic realm="prov"`)
		}
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:6]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.got200.Add(1)
	fmt.Fprint(w, body)
}

func (s *provServer) authorized(mode string, r *http.Request) bool {
	switch mode {
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && u == provUser && p == provPass
	case "digest":
		cred, err := digest.ParseCredentials(r.Header.Get("Authorization"))
		if err != nil || cred.Username != provUser || cred.Nonce != "abc123" || cred.URI != r.URL.RequestURI() {
			return false
		}
		chal := &digest.Challenge{Realm: "prov", Nonce: "abc123", QOP: []string{"auth"}, Algorithm: "MD5"}
		want, err := digest.Digest(chal, digest.Options{Method: r.Method, URI: cred.URI, Count: cred.Nc, Cnonce: cred.Cnonce, Username: provUser, Password: provPass})
		return err == nil && want.Response == cred.Response
	}
	return true
}

func (s *provServer) lastRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

func pullConfig(url string) Config {
	c := DefaultConfig()
	c.URL, c.DHCPLeaseFiles, c.Timeout = url, nil, 5*time.Second
	return c
}

func newTestPuller(t *testing.T, c Config) (*Puller, *Manager, *recApplier) {
	t.Helper()
	m, a, _ := newTestManager(t, ManagerOptions{})
	p, err := NewPuller(PullerOptions{Config: c, Identity: testID, Target: m, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return p, m, a
}

func TestPullStatuses(t *testing.T) {
	t.Parallel()
	const good = "sip:\n  user: pulled\n"
	for _, tc := range []struct {
		name    string
		setup   func(*provServer, *Config)
		outcome string
		errIs   error
		msg     string
		user    string // running user afterwards
	}{
		{"200 applies", nil, OutcomeApplied, nil, "", "pulled"},
		{"404", func(s *provServer, c *Config) { c.URL = s.URL + "/nobody.yaml" }, OutcomeFetchFailed, ErrFetch, "404", "door"},
		{"500", func(s *provServer, c *Config) { s.status = 500 }, OutcomeFetchFailed, ErrFetch, "500", "door"},
		{"401 without credentials", func(s *provServer, c *Config) { s.auth = "basic" }, OutcomeFetchFailed, ErrFetch, "401", "door"},
		{"401 then basic", func(s *provServer, c *Config) { s.auth = "basic"; c.User, c.Password = provUser, provPass }, OutcomeApplied, nil, "", "pulled"},
		{"401 then digest", func(s *provServer, c *Config) { s.auth = "digest"; c.User, c.Password = provUser, provPass }, OutcomeApplied, nil, "", "pulled"},
		{"digest, wrong password", func(s *provServer, c *Config) { s.auth = "digest"; c.User, c.Password = provUser, "nope" }, OutcomeFetchFailed, ErrFetch, "401", "door"},
		{"timeout", func(s *provServer, c *Config) { s.hang = true; c.Timeout = 300 * time.Millisecond }, OutcomeFetchFailed, ErrFetch, "Timeout", "door"},
		{"body not YAML", func(s *provServer, c *Config) { s.set("/b827eb12abcd.yaml", "<html>\n  <body>oops: [</body>\n") }, OutcomeInvalid, ErrInvalid, "", "door"},
		{"invalid config", func(s *provServer, c *Config) { s.set("/b827eb12abcd.yaml", "sip:\n  user: x\n  listen: nowhere\n") }, OutcomeInvalid, ErrInvalid, "", "door"},
		{"too large", func(s *provServer, c *Config) { s.set("/b827eb12abcd.yaml", strings.Repeat("#", MaxFileSize+10)) }, OutcomeFetchFailed, ErrFetch, "larger", "door"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newProvServer(t)
			s.set("/b827eb12abcd.yaml", good)
			c := pullConfig(s.URL + "/{mac}.yaml")
			if tc.setup != nil {
				tc.setup(s, &c)
			}
			p, m, _ := newTestPuller(t, c)
			err := p.Sync(context.Background())
			if tc.errIs == nil && err != nil || tc.errIs != nil && !errors.Is(err, tc.errIs) {
				t.Fatalf("err = %v, want %v", err, tc.errIs)
			}
			last := p.Last()
			if last.Outcome != tc.outcome || !strings.Contains(last.Message, tc.msg) {
				t.Fatalf("result %+v, want outcome %s with %q", last, tc.outcome, tc.msg)
			}
			if tc.outcome == OutcomeInvalid && len(last.Errors) == 0 {
				t.Fatalf("invalid result without errors: %+v", last)
			}
			if got := m.Current().SIP.User; got != tc.user {
				t.Fatalf("running user %q, want %q", got, tc.user)
			}
		})
	}
}

func TestPullConditionalAndUnchanged(t *testing.T) {
	t.Parallel()
	s := newProvServer(t)
	s.set("/rpi-door/B827EB12ABCD.yaml", "sip:\n  user: one\n")
	p, m, a := newTestPuller(t, pullConfig(s.URL+"/{model}/{MAC}.yaml"))
	ctx := context.Background()
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	req := s.lastRequest()
	if ua := req.Header.Get("User-Agent"); ua != "sipbell/1.2.3 (rpi-door; b8:27:eb:12:ab:cd)" {
		t.Errorf("User-Agent %q", ua)
	}
	// Second fetch: If-None-Match, 304, nothing re-applied.
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if s.lastRequest().Header.Get("If-None-Match") == "" || p.Last().Outcome != OutcomeNotModified {
		t.Fatalf("second fetch not conditional: %+v", p.Last())
	}
	if s.got200.Load() != 1 || len(a.users()) != 1 {
		t.Fatalf("200s %d, applied %v", s.got200.Load(), a.users())
	}
	// Changed on the server: applied.
	s.set("/rpi-door/B827EB12ABCD.yaml", "sip:\n  user: two\n")
	if err := p.Sync(ctx); err != nil || m.Current().SIP.User != "two" {
		t.Fatalf("change not applied: %v, %q", err, m.Current().SIP.User)
	}
	// Same content with a comment: fetched, but same hash, not re-applied.
	s.set("/rpi-door/B827EB12ABCD.yaml", "# comment\nsip:\n  user: two\n")
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.users(); len(got) != 2 {
		t.Fatalf("applied %v, want [one two]", got)
	}
}

func TestPullCommonMergedUnderDevice(t *testing.T) {
	t.Parallel()
	s := newProvServer(t)
	s.set("/common.yaml", "sip:\n  user: common\n  display_name: Building A\n")
	s.set("/b8:27:eb:12:ab:cd.yaml", "sip:\n  user: flat12\n")
	c := pullConfig(s.URL + "/{mac_colons}.yaml")
	c.CommonURL = s.URL + "/common.yaml"
	p, m, _ := newTestPuller(t, c)
	if err := p.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := m.Current().SIP; got.User != "flat12" || got.DisplayName != "Building A" {
		t.Fatalf("merged %+v", got)
	}
}

func TestPullHTTPSWithConfiguredCA(t *testing.T) {
	t.Parallel()
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "sip:\n  user: tls\n")
	}))
	defer s.Close()
	c := pullConfig(s.URL + "/{mac}.yaml")
	// System roots do not trust the test server.
	p, m, _ := newTestPuller(t, c)
	if err := p.Sync(context.Background()); !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server: %v", err)
	}
	c.CAFile = writeCertPEM(t, s.Certificate())
	if err := p.SetConfig(c); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(context.Background()); err != nil || m.Current().SIP.User != "tls" {
		t.Fatalf("with CA: %v, %q", err, m.Current().SIP.User)
	}
}

func TestPullScheduleAndBackoff(t *testing.T) {
	t.Parallel()
	p, _, _ := newTestPuller(t, pullConfig("http://127.0.0.1:1/x"))
	p.rnd = func() float64 { return 0.5 }
	fail := errors.New("down")
	var got []time.Duration
	for range 9 {
		d, _ := p.nextWait(fail)
		got = append(got, d)
	}
	step := 11*time.Minute + 15*time.Second // 15m step, equal jitter at 0.5
	want := []time.Duration{7500 * time.Millisecond, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, step, step}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backoff %v\nwant    %v", got, want)
	}
	d, ok := p.nextWait(nil)
	if !ok || d != time.Hour+3*time.Minute {
		t.Errorf("after success: %v %v, want 1h3m", d, ok)
	}
	if d, _ := p.nextWait(fail); d != 7500*time.Millisecond {
		t.Errorf("backoff not reset after success: %v", d)
	}
	c := p.cfg
	c.Interval = 0
	_ = p.SetConfig(c)
	if _, ok := p.nextWait(nil); ok {
		t.Error("interval 0 should not schedule")
	}
}

func TestPullRunSyncNowAndInterval(t *testing.T) {
	t.Parallel()
	s := newProvServer(t)
	s.set("/b827eb12abcd.yaml", "sip:\n  user: a\n")
	clk := clockwork.NewFakeClock()
	m, _, _ := newTestManager(t, ManagerOptions{})
	p, err := NewPuller(PullerOptions{Config: pullConfig(s.URL + "/{mac}.yaml"), Identity: testID, Target: m, Clock: clk, Log: quietLog(), Rand: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	step := func(want string, kick func()) {
		t.Helper()
		if err := clk.BlockUntilContext(ctx, 1); err != nil { // waiting on its timer
			t.Fatal(err)
		}
		kick()
		<-waitUntil(func() bool { return m.Current().SIP.User == want })
	}
	step("a", func() {})
	s.set("/b827eb12abcd.yaml", "sip:\n  user: b\n")
	step("b", p.SyncNow)
	s.set("/b827eb12abcd.yaml", "sip:\n  user: c\n")
	step("c", func() { clk.Advance(time.Hour) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func writeCertPEM(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPullURLFromDHCPLease(t *testing.T) {
	t.Parallel()
	s := newProvServer(t)
	s.set("/prov/b827eb12abcd.yaml", "sip:\n  user: viadhcp\n")
	lease := filepath.Join(t.TempDir(), "dhclient.leases")
	if err := os.WriteFile(lease, []byte("lease {\n  option unknown-160 \""+s.URL+"/prov/\";\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := pullConfig("")
	p, m, _ := newTestPuller(t, c)
	if err := p.Sync(context.Background()); err == nil || p.Last().Outcome != OutcomeOff {
		t.Fatalf("no URL and no lease: %v %+v", err, p.Last())
	}
	c.DHCPLeaseFiles = []string{lease}
	_ = p.SetConfig(c)
	if err := p.Sync(context.Background()); err != nil || m.Current().SIP.User != "viadhcp" {
		t.Fatalf("via DHCP: %v %q %+v", err, m.Current().SIP.User, p.Last())
	}
}
