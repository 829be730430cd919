package provisioning

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPasswordVerify is the cost of one admin password check
// (PBKDF2-SHA256, 50k iterations): what a login or an uncached basic
// auth costs, and what rate limiting protects.
func BenchmarkPasswordVerify(b *testing.B) {
	h, err := hashPassword("benchmark-pw")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !h.verify("benchmark-pw") {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkSubmitUnchanged is a periodic resync whose file did not
// change but was fetched anyway (no ETag): parse, validate, hash.
func BenchmarkSubmitUnchanged(b *testing.B) {
	m, err := NewManager(ManagerOptions{Path: b.TempDir() + "/c.yaml", Initial: Default(), Applier: ApplierFunc(func(context.Context, File) error { return nil }), Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	doc := []byte("sip:\n  user: door\n  display_name: Door\n")
	ctx := context.Background()
	if _, err := m.Submit(ctx, "bench", doc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := m.Submit(ctx, "bench", doc); r.Outcome != OutcomeUnchanged {
			b.Fatal(r.Outcome)
		}
	}
}

// BenchmarkPullNotModified is one conditional fetch answered 304 over
// loopback HTTP: what an unchanged file costs the device per interval.
func BenchmarkPullNotModified(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write([]byte("sip:\n  user: door\n"))
	}))
	defer srv.Close()
	m, _ := NewManager(ManagerOptions{Path: b.TempDir() + "/c.yaml", Initial: Default(), Applier: ApplierFunc(func(context.Context, File) error { return nil }), Log: quietLog()})
	p, err := NewPuller(PullerOptions{Config: pullConfig(srv.URL + "/{mac}.yaml"), Identity: testID, Target: m, Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Sync(ctx); err != nil || p.Last().Outcome != OutcomeNotModified {
			b.Fatal(err, p.Last().Outcome)
		}
	}
}
