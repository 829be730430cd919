package ua

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/ua/media"
)

// startLog is a MediaHandler that records when media starts, and toward
// where.
type startLog struct {
	mu     sync.Mutex
	starts []netip.AddrPort
	dirs   []media.Direction
}

func (m *startLog) Open(_ context.Context, ip netip.Addr, _ MediaCall) (netip.AddrPort, error) {
	return netip.AddrPortFrom(ip, 40002), nil
}
func (m *startLog) Start(_ string, n media.Negotiated) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.starts = append(m.starts, n.Remote)
	m.dirs = append(m.dirs, n.Direction)
	return nil
}

func (m *startLog) first() media.Direction {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.dirs) == 0 {
		return media.Inactive
	}
	return m.dirs[0]
}
func (m *startLog) SendDTMF(string, byte) error { return ErrNoMedia }
func (m *startLog) Close(string)                {}

func (m *startLog) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.starts)
}

// TestEarlyMedia: a 183 with SDP starts the media before the answer (the
// visitor hears the far end's announcement), says so in the ringing
// event, and the 200 then confirms the call.
func TestEarlyMedia(t *testing.T) {
	t.Parallel()
	m := &startLog{}
	s := uas(t, scenario("uas_early_media.xml"), map[string]string{"wait_ms": "300"})
	h := start(t, testConfig(), nil, WithMedia(m))
	c := callTo(t, h, Hunt, "sip:uas@"+s.Addr)
	ev := h.wait(t, 5*time.Second, "early media", func(e Event) bool { return e.EarlyMedia })
	if ev.State != CallRinging || ev.Code != 183 {
		t.Errorf("early media event %+v, want ringing 183", ev)
	}
	ans := h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	if ans.Time.Before(ev.Time) {
		t.Errorf("early media published after the answer")
	}
	if d := m.first(); d != media.RecvOnly {
		t.Errorf("early media is %v, want recvonly (the microphone waits for the answer)", d)
	}
	if n := m.count(); n != 2 {
		t.Errorf("media started %d times after the answer, want twice (183, 200)", n)
	}
	hangup(t, c)
	sippDone(t, s)
}
