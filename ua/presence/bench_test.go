package presence

import (
	"context"
	"fmt"
	"testing"
	"time"
)

type nopNotifier struct{ done chan struct{} }

func (n nopNotifier) Notify(context.Context, Notification) error {
	n.done <- struct{}{}
	return nil
}

// BenchmarkManagerSet16 is one status change fanned out to 16 watchers
// (half presence, half dialog), bodies rendered per watcher.
func BenchmarkManagerSet16(b *testing.B) {
	m, err := NewManager(ManagerConfig{Entity: "sip:door@pbx.example"}, func(SubscribeRequest) bool { return true }, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	n := nopNotifier{done: make(chan struct{}, 64)}
	for i := 0; i < 16; i++ {
		ev := EventPresence
		if i%2 == 1 {
			ev = EventDialog
		}
		m.Subscribe(SubscribeRequest{Event: ev, DialogID: fmt.Sprint(i), From: "sip:a@b"}, n, func(SubscribeAnswer) {})
		<-n.done
	}
	states := []State{Ringing, InCall, Idle}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Set(Status{State: states[i%3]})
		i++
		for j := 0; j < 16; j++ {
			<-n.done
		}
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		for range n.done {
		}
	}()
	if err := m.Shutdown(ctx); err == nil {
		close(n.done) // every NOTIFY is over: ends the drain
	}
}
