package ua

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
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
	cfg := testConfig()
	cfg.MaxCalls = 1 // the ended call would otherwise fit beside the new one
	h := start(t, cfg, nil, WithMedia(m))
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

// TestRedialWhileByeHandled: a caller that hangs up and dials again at
// once can have its new INVITE handled while its BYE still is (sipgo
// handles requests concurrently). The call being hung up must not make
// the new one busy (486).
func TestRedialWhileByeHandled(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	doorCfg := testConfig()
	doorCfg.MaxCalls = 1 // the call being hung up would otherwise fit beside the new one
	door := start(t, doorCfg, func(u *UA) {
		u.byeHook = func() {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	first := start(t, testConfig(), nil)
	second := start(t, testConfig(), nil)
	target := []string{"sip:door@" + door.Addr().String()}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c1, err := first.Call(ctx, target, Hunt)
	if err != nil {
		t.Fatal(err)
	}
	door.wait(t, 10*time.Second, "the first call answered", callIs(CallAnswered))
	first.wait(t, 10*time.Second, "the first call answered (caller side)", callIs(CallAnswered))
	go func() { _ = c1.Hangup(ctx) }()
	select {
	case <-entered: // the door is handling the BYE
	case <-ctx.Done():
		t.Fatal("the BYE never reached the door")
	}
	if _, err := second.Call(ctx, target, Hunt); err != nil {
		t.Fatal(err)
	}
	ev := second.wait(t, 10*time.Second, "the second call's outcome", func(e Event) bool {
		return e.Kind == EventCallState && (e.State == CallAnswered || e.State == CallEnded)
	})
	unblock()
	if ev.State != CallAnswered {
		t.Fatalf("the new call was refused while the previous call's BYE was handled: %d %s", ev.Code, ev.Reason)
	}
}
