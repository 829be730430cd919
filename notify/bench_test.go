package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func BenchmarkSign(b *testing.B) {
	body := []byte(`{"id":"0123456789abcdef01234567","event":"door-opened","time":"2026-12-01T08:30:00Z","who":"sip:alice@pbx.example"}`)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		Sign(testSecret, now, body)
	}
}

// BenchmarkWebhookPost is one signed delivery to a loopback receiver.
func BenchmarkWebhookPost(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	n, err := New(config(hook(srv.URL)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := hook(srv.URL)
	p := PayloadOf(opened("sip:alice@pbx.example"), "sip:door@pbx.example")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := n.post(ctx, w, p); err != nil {
			b.Fatal(err)
		}
	}
}
