package provisioning

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

const testAdminPW = "correct horse battery"

type fakeActions struct {
	mu  sync.Mutex
	log []string
}

func (f *fakeActions) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, s)
	return nil
}
func (f *fakeActions) Call(ctx context.Context, target string) error { return f.rec("call " + target) }
func (f *fakeActions) Hangup(ctx context.Context) error              { return f.rec("hangup") }
func (f *fakeActions) OpenDoor(ctx context.Context) error            { return f.rec("open-door") }
func (f *fakeActions) Restart(ctx context.Context) error {
	return errors.New("not in tests")
}
func (f *fakeActions) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, ",")
}

type fakeSync struct {
	n   int
	off bool // no URL
}

func (f *fakeSync) Trigger() (string, error) {
	if f.off {
		return "", ErrNoURL
	}
	f.n++
	return "http://prov/x.yaml", nil
}
func (f *fakeSync) Last() Result { return Result{Outcome: OutcomeNotModified, Source: "pull x"} }
func (f *fakeSync) URL() string  { return "http://prov/x.yaml" }

type staticStatus map[string]any

func (s staticStatus) Status(context.Context) any { return map[string]any(s) }

type adminEnv struct {
	*httptest.Server
	admin   *Admin
	mgr     *Manager
	actions *fakeActions
	sync    *fakeSync
	clk     *clockwork.FakeClock
	logs    *bytes.Buffer
}

func newAdminEnv(t *testing.T, mutate func(*AdminOptions)) *adminEnv {
	t.Helper()
	mgr, _, _ := newTestManager(t, ManagerOptions{})
	e := &adminEnv{mgr: mgr, actions: &fakeActions{}, sync: &fakeSync{}, clk: clockwork.NewFakeClock(), logs: &bytes.Buffer{}}
	opts := AdminOptions{
		Config:   AdminConfig{Password: testAdminPW},
		StateDir: t.TempDir(),
		Manager:  mgr, Pull: e.sync, Actions: e.actions,
		Status: staticStatus{"version": "test"},
		Sim: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]string{"sim": r.Method + " " + r.URL.Path})
		}),
		Clock: e.clk,
		Log:   slog.New(slog.NewTextHandler(&syncWriter{w: e.logs}, nil)),
	}
	if mutate != nil {
		mutate(&opts)
	}
	a, err := NewAdmin(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.admin = a
	e.Server = httptest.NewUnstartedServer(a.Handler())
	e.Server.Config = a.Server()
	e.Server.Start()
	t.Cleanup(e.Close)
	return e
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// do sends a request with basic auth password pw ("" for none).
func (e *adminEnv) do(t *testing.T, method, path, pw, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if pw != "" {
		req.SetBasicAuth("admin", pw)
	}
	res, err := e.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	for _, tc := range []struct {
		name, method, path, pw string
		want                   int
	}{
		{"no credentials", "GET", "/api/status", "", 401},
		{"wrong password", "GET", "/api/config", "nope", 401},
		{"right password", "GET", "/api/status", testAdminPW, 200},
		{"sim needs auth", "GET", "/sim/state", "", 401},
		{"sim mounted", "GET", "/sim/state", testAdminPW, 200},
		{"UI page is public", "GET", "/", "", 200},
		{"unknown API", "GET", "/api/nothing", testAdminPW, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.do(t, tc.method, tc.path, tc.pw, "")
			if res.StatusCode != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, res.StatusCode, body, tc.want)
			}
		})
	}
	// Session login.
	res, _ := e.do(t, "POST", "/api/login", "", `{"password":"`+testAdminPW+`"}`)
	if res.StatusCode != 204 || len(res.Cookies()) != 1 || !res.Cookies()[0].HttpOnly {
		t.Fatalf("login: %d %v", res.StatusCode, res.Cookies())
	}
	req, _ := http.NewRequest("GET", e.URL+"/api/status", nil)
	req.AddCookie(res.Cookies()[0])
	res2, err := e.Client().Do(req)
	if err != nil || res2.StatusCode != 200 {
		t.Fatalf("with session: %v %v", res2.StatusCode, err)
	}
	var st struct {
		Device       map[string]any     `json:"device"`
		Provisioning ProvisioningStatus `json:"provisioning"`
	}
	if err := json.NewDecoder(res2.Body).Decode(&st); err != nil || st.Device["version"] != "test" || st.Provisioning.LastFetch == nil || st.Provisioning.URL != "http://prov/x.yaml" {
		t.Fatalf("status %+v, %v", st, err)
	}
	res2.Body.Close()
	// A cross-site change with the cookie is refused.
	req, _ = http.NewRequest("POST", e.URL+"/api/actions/hangup", nil)
	req.AddCookie(res.Cookies()[0])
	req.Header.Set("Origin", "https://evil.example")
	res3, err := e.Client().Do(req)
	if err != nil || res3.StatusCode != 403 {
		t.Fatalf("cross-origin: %v %v", res3.StatusCode, err)
	}
	res3.Body.Close()
}

func TestAdminFirstBootPassword(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	mgr, _, _ := newTestManager(t, ManagerOptions{})
	if _, err := NewAdmin(AdminOptions{StateDir: dir, Manager: mgr, Log: log}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`password=(\w{16})`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("generated password not logged: %s", logs.String())
	}
	stored, _ := os.ReadFile(filepath.Join(dir, PasswordFile))
	if strings.Contains(string(stored), m[1]) || !passwordHash(strings.TrimSpace(string(stored))).verify(m[1]) {
		t.Fatalf("stored %q: must be a hash of the logged password", stored)
	}
	logs.Reset()
	if _, err := NewAdmin(AdminOptions{StateDir: dir, Manager: mgr, Log: log}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "password") {
		t.Fatalf("password logged again on second boot: %s", logs.String())
	}
	// A configured password replaces it.
	if _, err := NewAdmin(AdminOptions{StateDir: dir, Manager: mgr, Log: log, Config: AdminConfig{Password: "configured-pw"}}); err != nil {
		t.Fatal(err)
	}
	stored, _ = os.ReadFile(filepath.Join(dir, PasswordFile))
	if !passwordHash(strings.TrimSpace(string(stored))).verify("configured-pw") {
		t.Fatal("configured password not stored")
	}
}

func TestAdminLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	for i := range freeFailures {
		if res, _ := e.do(t, "POST", "/api/login", "", `{"password":"guess"}`); res.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i, res.StatusCode)
		}
	}
	e.do(t, "POST", "/api/login", "", `{"password":"guess"}`) // locks
	res, body := e.do(t, "POST", "/api/login", "", `{"password":"`+testAdminPW+`"}`)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("locked out: %d %s", res.StatusCode, body)
	}
	if res, _ := e.do(t, "GET", "/api/status", testAdminPW, ""); res.StatusCode != 429 {
		t.Fatalf("basic auth while locked: %d", res.StatusCode)
	}
	e.clk.Advance(2 * time.Second)
	if res, _ := e.do(t, "POST", "/api/login", "", `{"password":"`+testAdminPW+`"}`); res.StatusCode != 204 {
		t.Fatalf("after the lock: %d", res.StatusCode)
	}
}

func TestAdminConfig(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	acct := "sip:\n  accounts:\n    - registrar: 127.0.0.1:5060\n      user: door\n      password: hunter2\n"
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, acct); res.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	res, body := e.do(t, "GET", "/api/config", testAdminPW, "")
	if res.StatusCode != 200 || strings.Contains(body, "hunter2") || !strings.Contains(body, `"password":"`+Redacted+`"`) {
		t.Fatalf("GET must redact: %d %s", res.StatusCode, body)
	}
	// What was shown, changed and sent back as JSON, applies; the
	// redacted secret in it keeps the secret in force.
	shown := strings.Replace(body, `"display_name":"Door"`, `"display_name":"Gate"`, 1)
	shown = strings.Replace(shown, `"user":"door"`, `"user":"gate"`, -1)
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, shown); res.StatusCode != 200 {
		t.Fatalf("PUT shown: %d %s", res.StatusCode, body)
	}
	if got := e.mgr.Current().SIP; got.User != "gate" || got.DisplayName != "Gate" || got.Accounts[0].Password != "hunter2" {
		t.Fatalf("after PUT of shown config: %+v", got)
	}
	for _, tc := range []struct {
		name, method, body, path string
		line                     int
	}{
		{"PATCH bad value", "PATCH", `{"sip":{"listen":"nowhere"}}`, "sip.listen", 0},
		{"PATCH wrong type", "PATCH", `{"sip":{"trace":"maybe"}}`, "sip.trace", 0},
		{"PATCH unknown key", "PATCH", `{"sip":{"lissten":"1.2.3.4:5"}}`, "sip.lissten", 0},
		{"PATCH not a map", "PATCH", `[1,2]`, "", 0},
		{"PUT bad YAML", "PUT", "sip:\n  user: [x\n", "", 0},
		{"PUT JSON wrong type", "PUT", `{"sip":{"user":"x","trace":"maybe"}}`, "sip.trace", 0},
		{"PUT JSON unknown key", "PUT", `{"sip":{"user":"x"},"sipp":{}}`, "sipp", 0},
		{"PUT bad value with line", "PUT", "sip:\n  user: x\n  listen: nowhere\n", "sip.listen", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.do(t, tc.method, "/api/config", testAdminPW, tc.body)
			var out struct{ Errors []FieldProblem }
			if res.StatusCode != 422 || json.Unmarshal([]byte(body), &out) != nil || len(out.Errors) == 0 {
				t.Fatalf("%d %s, want 422 with errors", res.StatusCode, body)
			}
			if out.Errors[0].Path != tc.path || out.Errors[0].Line != tc.line {
				t.Fatalf("error %+v, want path %q line %d", out.Errors[0], tc.path, tc.line)
			}
			if e.mgr.Current().SIP.User != "gate" {
				t.Fatal("running config changed")
			}
		})
	}
	// A good PATCH: merge, null resets to the default.
	if res, body := e.do(t, "PATCH", "/api/config", testAdminPW, `{"sip":{"display_name":"Gate 2","user":null}}`); res.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", res.StatusCode, body)
	}
	if got := e.mgr.Current().SIP; got.DisplayName != "Gate 2" || got.User != Default().SIP.User || got.Accounts[0].Password != "hunter2" {
		t.Fatalf("after PATCH: %+v", got)
	}
	if _, body := e.do(t, "GET", "/api/config?format=yaml", testAdminPW, ""); !strings.Contains(body, "display_name: Gate 2") || strings.Contains(body, "hunter2") {
		t.Fatalf("YAML: %s", body)
	}
}

func TestAdminActions(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	for _, tc := range []struct {
		action, body string
		want         int
	}{
		{"call", `{"target":"sip:alice@127.0.0.1"}`, 200},
		{"call", ``, 400},
		{"hangup", ``, 200},
		{"open-door", ``, 200},
		{"provision", ``, 202},
		{"restart", ``, 409},
		{"self-destruct", ``, 404},
		{"hangup", `{"bogus":1}`, 400},
	} {
		if res, body := e.do(t, "POST", "/api/actions/"+tc.action, testAdminPW, tc.body); res.StatusCode != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.action, tc.body, res.StatusCode, body, tc.want)
		}
	}
	if got := e.actions.got(); got != "call sip:alice@127.0.0.1,hangup,open-door" || e.sync.n != 1 {
		t.Fatalf("actions %q, syncs %d", got, e.sync.n)
	}
}

// TestAdminProvisionNowSaysWhatHappens: "Provision now" names the URL it
// fetches, and with no URL says provisioning is off (409), not "started";
// with a real Puller too.
func TestAdminProvisionNowSaysWhatHappens(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	if res, body := e.do(t, "POST", "/api/actions/provision", testAdminPW, ""); res.StatusCode != 202 || !strings.Contains(body, "http://prov/x.yaml") {
		t.Errorf("with a URL: %d %s", res.StatusCode, body)
	}
	e.sync.off = true
	if res, body := e.do(t, "POST", "/api/actions/provision", testAdminPW, ""); res.StatusCode != 409 || !strings.Contains(body, "provisioning is off: no provisioning URL configured or given by DHCP") {
		t.Errorf("without a URL: %d %s", res.StatusCode, body)
	}
	p, m, _ := newTestPuller(t, pullConfig(""))
	e2 := newAdminEnv(t, func(o *AdminOptions) { o.Manager, o.Pull = m, p })
	if res, body := e2.do(t, "POST", "/api/actions/provision", testAdminPW, ""); res.StatusCode != 409 || !strings.Contains(body, "provisioning is off") {
		t.Errorf("Puller without a URL: %d %s", res.StatusCode, body)
	}
	if len(p.sync) != 0 {
		t.Error("a fetch was asked for with no URL")
	}
	_ = p.SetConfig(pullConfig("http://127.0.0.1:1/{mac}.yaml"))
	if res, body := e2.do(t, "POST", "/api/actions/provision", testAdminPW, ""); res.StatusCode != 202 || !strings.Contains(body, "http://127.0.0.1:1/b827eb12abcd.yaml") {
		t.Errorf("Puller with a URL: %d %s", res.StatusCode, body)
	}
	if len(p.sync) != 1 {
		t.Error("no fetch asked for")
	}
}

// zeros is an endless body that costs no memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.n {
		n = z.n
	}
	clear(p[:n])
	z.n -= n
	return int(n), nil
}

// TestAdminHugeBody is not parallel: it measures the process's allocations.
func TestAdminHugeBody(t *testing.T) {
	e := newAdminEnv(t, nil)
	const size = 10 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, path := range []string{"/api/config", "/api/login"} {
		req, _ := http.NewRequest("PUT", e.URL+path, &zeros{size})
		if path == "/api/login" {
			req.Method = "POST"
		}
		req.ContentLength = size
		req.SetBasicAuth("admin", testAdminPW)
		res, err := e.Client().Do(req)
		if err != nil {
			// The server may close the connection while the client still
			// sends; then the answer is lost, but the server is fine.
			t.Logf("%s: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s: %d %s, want 413", path, res.StatusCode, body)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 6<<20 {
		t.Fatalf("two 10 MB bodies allocated %d bytes: not bounded", grew)
	}
	if res, _ := e.do(t, "GET", "/api/status", testAdminPW, ""); res.StatusCode != 200 {
		t.Fatal("server unwell after huge bodies")
	}
}

func TestAdminSlowClient(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, func(o *AdminOptions) {
		o.Timeouts = Timeouts{ReadHeader: 200 * time.Millisecond, Read: time.Second, Write: time.Second, Idle: time.Second}
	})
	conn, err := net.Dial("tcp", e.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a request header, then nothing: the server must hang up.
	if _, err := conn.Write([]byte("GET /api/status HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a safety net only
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept a slow client for %v", time.Since(start))
	}
	// A body that never comes: the read timeout hangs up too.
	conn2, err := net.Dial("tcp", e.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if _, err := conn2.Write([]byte("PUT /api/config HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\nContent-Length: 100\r\n\r\nsip:")); err != nil {
		t.Fatal(err)
	}
	_ = conn2.SetReadDeadline(time.Now().Add(20 * time.Second))
	reply, err := io.ReadAll(conn2)
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept a client that never sends its body")
	}
	if len(reply) > 0 && !strings.Contains(string(reply), " 400 ") {
		t.Fatalf("answer to a stalled body: %q", reply)
	}
	// Meanwhile the server still answers others.
	if res, _ := e.do(t, "GET", "/api/status", testAdminPW, ""); res.StatusCode != 200 {
		t.Fatal("server unwell")
	}
}

func TestAdminServeTLSSelfSigned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mgr, _, _ := newTestManager(t, ManagerOptions{})
	a, err := NewAdmin(AdminOptions{StateDir: dir, Manager: mgr, Log: quietLog(), Config: AdminConfig{TLS: true, Password: testAdminPW}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	// Wait for the certificate the server made on first start.
	certPath := filepath.Join(dir, SelfSignedCertFile)
	<-waitUntil(func() bool { _, err := os.Stat(certPath); return err == nil })
	pemData, _ := os.ReadFile(certPath)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("no certificate written")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	req, _ := http.NewRequest("GET", "https://"+ln.Addr().String()+"/api/status", nil)
	req.SetBasicAuth("admin", testAdminPW)
	res, err := c.Do(req) // the listener is open: the handshake waits for Serve
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("HTTPS status: %d", res.StatusCode)
	}
	again, err := adminCertificate(AdminConfig{TLS: true}, dir)
	if err != nil || !bytes.Contains(pemData, []byte("CERTIFICATE")) || len(again.Certificate) == 0 {
		t.Fatalf("reload: %v", err)
	}
	leaf, _ := x509.ParseCertificate(again.Certificate[0])
	block := res.TLS.PeerCertificates[0]
	if !leaf.Equal(block) {
		t.Fatal("second start made a new certificate")
	}
}

func TestRestoreSecrets(t *testing.T) {
	t.Parallel()
	type acct struct {
		User     string `yaml:"user"`
		Password string `yaml:"password" secret:"true"`
	}
	type cfg struct {
		Accounts []acct          `yaml:"accounts"`
		ByName   map[string]acct `yaml:"by_name"`
		Token    string          `yaml:"token" secret:"true"`
		Ptr      *acct           `yaml:"ptr"`
	}
	old := cfg{
		Accounts: []acct{{"a", "pw1"}, {"b", "pw2"}},
		ByName:   map[string]acct{"x": {"x", "pwx"}},
		Token:    "tok", Ptr: &acct{"p", "pwp"},
	}
	// What a client sends back: redacted secrets, one changed secret,
	// one new list entry whose secret has no old value.
	sent := cfg{
		Accounts: []acct{{"a", Redacted}, {"b", "new"}, {"c", Redacted}},
		ByName:   map[string]acct{"x": {"x", Redacted}, "y": {"y", Redacted}},
		Token:    Redacted, Ptr: &acct{"p", Redacted},
	}
	restoreSecrets(reflect.ValueOf(&sent).Elem(), reflect.ValueOf(&old).Elem())
	want := cfg{
		Accounts: []acct{{"a", "pw1"}, {"b", "new"}, {"c", Redacted}},
		ByName:   map[string]acct{"x": {"x", "pwx"}, "y": {"y", Redacted}},
		Token:    "tok", Ptr: &acct{"p", "pwp"},
	}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("got  %+v\nwant %+v", sent, want)
	}
}

func TestAdminConfiguredCertificate(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, k := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(c, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	got, err := adminCertificate(AdminConfig{TLS: true, CertFile: c, KeyFile: k}, state)
	if err != nil || len(got.Certificate) == 0 {
		t.Fatalf("configured certificate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state, SelfSignedCertFile)); !os.IsNotExist(err) {
		t.Fatal("a self-signed certificate was made although one is configured")
	}
	if _, err := adminCertificate(AdminConfig{TLS: true, CertFile: c + ".missing", KeyFile: k}, state); err == nil || !strings.Contains(err.Error(), "c.pem.missing") {
		t.Fatalf("missing certificate: %v", err)
	}
}
