package presence

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// fakeMWI answers SUBSCRIBEs from a script and records them as
// "+offset new|refresh expires".
type fakeMWI struct {
	clk   *clockwork.FakeClock
	start time.Time
	mu    sync.Mutex
	answ  []MWIResponse
	sent  []string
	next  chan struct{}
}

func (f *fakeMWI) SubscribeMWI(_ context.Context, expires time.Duration, refresh bool) (MWIResponse, error) {
	f.mu.Lock()
	defer func() { f.mu.Unlock(); f.next <- struct{}{} }()
	kind := map[bool]string{true: "refresh", false: "new"}[refresh]
	f.sent = append(f.sent, fmt.Sprintf("+%v %s %v", f.clk.Since(f.start), kind, expires))
	if len(f.answ) == 0 {
		return MWIResponse{}, context.DeadlineExceeded
	}
	r := f.answ[0]
	f.answ = f.answ[1:]
	return r, nil
}

// TestMWISubscriber: refresh at 4/5 of the time granted, a new
// subscription after 481, Min-Expires after 423, backoff after failures
// (403 and 489 straight to the cap, others doubling), on the fake clock;
// an active subscription is ended (Expires 0) when Run stops, a failed
// one is not.
func TestMWISubscriber(t *testing.T) {
	t.Parallel()
	ok := func(exp time.Duration) MWIResponse { return MWIResponse{Status: 200, Expires: exp} }
	tests := []struct {
		name  string
		answ  []MWIResponse
		steps []time.Duration // clock advances, one per SUBSCRIBE after the first
		want  []string
	}{
		{"granted less than asked: refresh at 4/5", []MWIResponse{ok(600 * time.Second), ok(600 * time.Second)},
			[]time.Duration{480 * time.Second},
			[]string{"+0s new 1h0m0s", "+8m0s refresh 1h0m0s", "+8m0s refresh 0s"}},
		{"481 on a refresh: a new subscription at once", []MWIResponse{ok(time.Hour), {Status: 481}, ok(time.Hour)},
			[]time.Duration{48 * time.Minute, 0},
			[]string{"+0s new 1h0m0s", "+48m0s refresh 1h0m0s", "+48m0s new 1h0m0s", "+48m0s refresh 0s"}},
		{"423: the server's Min-Expires", []MWIResponse{{Status: 423, MinExpires: 2 * time.Hour}, ok(2 * time.Hour)},
			[]time.Duration{0},
			[]string{"+0s new 1h0m0s", "+0s new 2h0m0s", "+0s refresh 0s"}},
		{"500 then no answer: backoff doubles", []MWIResponse{{Status: 500}},
			[]time.Duration{30 * time.Second, time.Minute},
			[]string{"+0s new 1h0m0s", "+30s new 1h0m0s", "+1m30s new 1h0m0s"}},
		{"489: no such event here, an hour", []MWIResponse{{Status: 489}, ok(time.Hour)},
			[]time.Duration{time.Hour},
			[]string{"+0s new 1h0m0s", "+1h0m0s new 1h0m0s", "+1h0m0s refresh 0s"}},
		{"403: not allowed, an hour", []MWIResponse{{Status: 403}, {Status: 403}},
			[]time.Duration{time.Hour},
			[]string{"+0s new 1h0m0s", "+1h0m0s new 1h0m0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clockwork.NewFakeClock()
			f := &fakeMWI{clk: clk, start: clk.Now(), answ: tc.answ, next: make(chan struct{}, 16)}
			s := NewMWISubscriber(f, MWIConfig{}, clk, nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			<-f.next
			for _, d := range tc.steps {
				if d > 0 {
					if err := clk.BlockUntilContext(ctx, 1); err != nil {
						t.Fatal(err)
					}
					clk.Advance(d)
				}
				<-f.next
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if fmt.Sprint(f.sent) != fmt.Sprint(tc.want) {
				t.Errorf("sent %q\nwant %q", f.sent, tc.want)
			}
		})
	}
}
