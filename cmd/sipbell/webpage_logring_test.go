package main

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestLogRingBoundedAndRedacted: the log viewer's ring keeps the last
// ringLines lines, each at most ringLineMax bytes, and takes secrets
// (secret-sounding keys, a URL's password) out.
func TestLogRingBoundedAndRedacted(t *testing.T) {
	r := &logRing{}
	h := slog.NewTextHandler(r, &slog.HandlerOptions{ReplaceAttr: redactAttr})
	log := slog.New(h)
	for i := range ringLines + 10 {
		log.Info("line", "i", i)
	}
	got := r.Lines(ringLines * 2)
	if len(got) != ringLines || !strings.HasSuffix(got[0], "i=10") || !strings.HasSuffix(got[len(got)-1], fmt.Sprintf("i=%d", ringLines+9)) {
		t.Fatalf("%d lines, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	log.Info("long", "x", strings.Repeat("y", 5000))
	if l := r.Lines(1)[0]; len(l) > ringLineMax+len("…") {
		t.Fatalf("a line of %d bytes kept", len(l))
	}
	log.Info("secrets", "password", "hunter2", "Token", "abc", "url", "https://dev:s3cret@prov.example/x.yaml")
	l := r.Lines(1)[0]
	if strings.Contains(l, "hunter2") || strings.Contains(l, "abc") || strings.Contains(l, "s3cret") || !strings.Contains(l, "dev:xxxxx@prov.example") {
		t.Fatalf("secrets in %q", l)
	}
}
