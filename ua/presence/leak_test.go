package presence

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestNoGoroutineLeak: a publisher stopped mid-backoff and a manager
// shut down with watchers (one stuck) leave no goroutine behind. Not
// parallel, so goleak sees only this test's goroutines.
func TestNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeSender()
	p, err := NewPublisher(f, PublisherConfig{Entity: "sip:door@h", RemoveTimeout: 50 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	<-f.reqs
	f.resps <- fakeResult{res: PublishResponse{Status: 200, ETag: "e"}}
	p.Set(Status{State: Ringing})
	<-f.reqs
	f.resps <- fakeResult{res: PublishResponse{Status: 503}} // now backing off
	cancel()
	<-f.reqs // the removal; left unanswered: RemoveTimeout ends it
	<-done

	m, err := NewManager(ManagerConfig{Entity: "sip:door@h"}, func(SubscribeRequest) bool { return true }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := newFakeNotifier()
	stuck := stuckNotifier{started: make(chan struct{}, 1)}
	m.Subscribe(SubscribeRequest{Event: EventPresence, DialogID: "a"}, ok, func(SubscribeAnswer) {})
	m.Subscribe(SubscribeRequest{Event: EventDialog, DialogID: "b"}, stuck, func(SubscribeAnswer) {})
	ok.next(t)
	<-stuck.started
	sctx, scancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer scancel()
	_ = m.Shutdown(sctx)
}
