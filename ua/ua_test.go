package ua

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func startUA(t *testing.T) *UA {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	u, err := New(cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return u
}

func optionsRequest(transport string, local net.Addr, target *net.UDPAddr) string {
	return fmt.Sprintf("OPTIONS sip:door@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-test-%s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:tester@127.0.0.1>;tag=abc\r\n"+
		"To: <sip:door@%s>\r\n"+
		"Call-ID: opt-%s@127.0.0.1\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", target, transport, local, transport, target, transport)
}

func TestOptionsAnswered(t *testing.T) {
	u := startUA(t)
	addr := u.Addr()
	for _, transport := range []string{"UDP", "TCP"} {
		t.Run(transport, func(t *testing.T) {
			conn, err := net.Dial(strings.ToLower(transport), addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, optionsRequest(transport, conn.LocalAddr(), addr)); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			status, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if !strings.HasPrefix(status, "SIP/2.0 200") {
				t.Fatalf("status line %q, want 200", status)
			}
			var allow string
			for {
				line, err := r.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Allow") {
					allow = strings.TrimSpace(v)
				}
			}
			for _, m := range []string{"INVITE", "OPTIONS", "BYE"} {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow %q lacks %s", allow, m)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		bad  string // expected failing path, "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"bad listen", func(c *Config) { c.Listen = "nope" }, "listen"},
		{"hostname listen", func(c *Config) { c.Listen = "example.com:5060" }, "listen"},
		{"bad port", func(c *Config) { c.Listen = "127.0.0.1:70000" }, "listen"},
		{"empty user", func(c *Config) { c.User = "" }, "user"},
		{"user with @", func(c *Config) { c.User = "a@b" }, "user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.bad+":") {
				t.Fatalf("error %v, want one at %s", err, tc.bad)
			}
		})
	}
}
