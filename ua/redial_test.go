package ua

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sipbell/sipbell/ua/media"
)

// slowCloseMedia reserves a port like the default handler but holds Close
// until released, keeping an ended call in the UA's table meanwhile.
type slowCloseMedia struct {
	closing chan string
	release chan struct{}
}

func (m *slowCloseMedia) Open(_ context.Context, ip netip.Addr, _ MediaCall) (netip.AddrPort, error) {
	return netip.AddrPortFrom(ip, 40000), nil
}
func (m *slowCloseMedia) Start(string, media.Negotiated) error { return nil }
func (m *slowCloseMedia) SendDTMF(string, byte) error          { return ErrNoMedia }
func (m *slowCloseMedia) Close(id string) {
	m.closing <- id
	<-m.release
}

// TestCallAfterEndedCallIsNotBusy: a visitor pressing again right after a
// call ended must get a new call, even while the ended one still releases
// its media (its CallEnded event comes a moment before it is forgotten).
func TestCallAfterEndedCallIsNotBusy(t *testing.T) {
	t.Parallel()
	m := &slowCloseMedia{closing: make(chan string, 2), release: make(chan struct{})}
	h := start(t, testConfig(), nil, WithMedia(m))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nobody listens: the INVITE fails at once

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := h.Call(ctx, []string{"sip:nobody@" + closed + ";transport=tcp"}, Hunt); err != nil {
		t.Fatal(err)
	}
	var first string
	select {
	case first = <-m.closing: // ended, media release in progress
	case <-ctx.Done():
		t.Fatalf("the first call never ended\n%s", h.events())
	}
	h.wait(t, 5*time.Second, "the first call's end", callIs(CallEnded))
	second, err := h.Call(ctx, []string{"sip:nobody@" + closed + ";transport=tcp"}, Hunt)
	if errors.Is(err, ErrBusy) {
		t.Fatal("a call that has ended still makes the UA busy")
	}
	if err != nil {
		t.Fatal(err)
	}
	if second.ID() == first {
		t.Fatal("the second call reuses the first one's ID")
	}
	close(m.release)
}
