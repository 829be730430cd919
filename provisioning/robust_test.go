package provisioning

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzParseLease: any lease file gives options or nothing, never a panic.
func FuzzParseLease(f *testing.F) {
	f.Add([]byte(dhclientLeases))
	f.Add(dhcpcdLease("10.0.0.1", "x.yaml", opt(160, "http://p/"), opt(66, "h")))
	f.Add([]byte("lease {\n option unknown-160 6:7:;\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseLease(data).URL()
	})
}

// FuzzAdminPatch: any PATCH body gets 200 or 422, never a crash, and a
// refused one leaves the running configuration alone.
func FuzzAdminPatch(f *testing.F) {
	for _, s := range []string{`{"sip":{"user":"x"}}`, `{"sip":null}`, `[1]`, `"str"`, `{"sip":{"accounts":[{"user":1}]}}`, "sip:\n  trace: [", `{"a":{"b":{"c":null}}}`, "~", ""} {
		f.Add(s)
	}
	mgr, err := NewManager(ManagerOptions{Path: f.TempDir() + "/c.yaml", Initial: Default(), Applier: ApplierFunc(func(context.Context, File) error { return nil }), Log: quietLog()})
	if err != nil {
		f.Fatal(err)
	}
	a, err := NewAdmin(AdminOptions{Manager: mgr, StateDir: f.TempDir(), Config: AdminConfig{Password: testAdminPW}, Log: quietLog()})
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		before, _ := hashFile(mgr.Current())
		req := httptest.NewRequest("PATCH", "/api/config", strings.NewReader(body))
		req.SetBasicAuth("admin", testAdminPW)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
		case 422:
			if after, _ := hashFile(mgr.Current()); after != before {
				t.Fatalf("refused patch %q changed the config", body)
			}
		default:
			t.Fatalf("patch %q: %d %s", body, rec.Code, rec.Body)
		}
	})
}

// TestNoGoroutineLeak runs the Manager, the Puller and the admin server
// and stops them: every goroutine they started ends. Not parallel: it
// counts the process's goroutines.
func TestNoGoroutineLeak(t *testing.T) {
	s := newProvServer(t)
	s.set("/b827eb12abcd.yaml", "sip:\n  user: leak\n")
	base := runtime.NumGoroutine()
	m, _, _ := newTestManager(t, ManagerOptions{Health: healthFrom(func() bool { return true }), RollbackAfter: time.Minute})
	p, err := NewPuller(PullerOptions{Config: pullConfig(s.URL + "/{mac}.yaml"), Identity: testID, Target: m, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAdmin(AdminOptions{Manager: m, Pull: p, StateDir: t.TempDir(), Config: AdminConfig{Password: testAdminPW}, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	for _, run := range []func(context.Context) error{m.Run, p.Run, func(ctx context.Context) error { return a.Serve(ctx, ln) }} {
		go func() { _ = run(ctx); done <- struct{}{} }()
	}
	<-waitUntil(func() bool { return m.Current().SIP.User == "leak" })
	c := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/status", nil)
	req.SetBasicAuth("admin", testAdminPW)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c.CloseIdleConnections()
	cancel()
	for range 3 {
		<-done
	}
	s.CloseClientConnections()
	// Connection goroutines of closed keep-alive connections end on their own.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left over (%d before):\n%s", n-base, base, buf[:runtime.Stack(buf, true)])
	}
}
