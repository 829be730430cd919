package ua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
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
// the new one busy (486), and the new call is announced only after the
// old one's end (else the device, still in the old call, refuses it).
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
	old := door.wait(t, 10*time.Second, "the first call answered", callIs(CallAnswered)).CallID
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
	awaitCalls(ctx, t, door, 2) // the new INVITE is taken while the BYE is held
	unblock()
	ev := second.wait(t, 10*time.Second, "the second call's outcome", func(e Event) bool {
		return e.Kind == EventCallState && (e.State == CallAnswered || e.State == CallEnded)
	})
	if ev.State != CallAnswered {
		t.Fatalf("the new call was refused while the previous call's BYE was handled: %d %s", ev.Code, ev.Reason)
	}
	door.mu.Lock()
	defer door.mu.Unlock()
	for _, e := range door.hist {
		if e.Kind == EventIncomingCall && e.CallID != old {
			t.Fatalf("the new call was announced before the old one ended\n%s", eventsOf(door.hist))
		}
		if e.Kind == EventCallState && e.State == CallEnded && e.CallID == old {
			return
		}
	}
	t.Fatalf("the old call's end was never published\n%s", eventsOf(door.hist))
}

// awaitCalls waits until h holds n calls.
func awaitCalls(ctx context.Context, t *testing.T, h *harness, n int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for len(h.Calls()) < n {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the UA never held %d calls\n%s", n, h.events())
		}
	}
}

// eventsOf formats events one a line.
func eventsOf(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s %s\n", e.Time.Format("15:04:05.000"), e)
	}
	return b.String()
}
