package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/ua"
)

// TestPumpDeviceFirst: an incoming call reaches the device's subscription
// and the device runs before the other subscribers (history, presence,
// MQTT) get the event, so that an auto-answer's 200 OK is not queued
// behind their work (issue 16). With one P, as the firmware runs; fails
// when the pump hands the event to every subscriber before yielding.
func TestPumpDeviceFirst(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cases := []struct {
		name string
		ev   ua.Event
		want int // events the others already hold when the device takes it
	}{
		{"incoming call", ua.Event{Kind: ua.EventIncomingCall, CallID: "c1"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &core{}
			history := c.subscribeUA(4)
			dev := c.subscribeUAFirst(4)
			presence := c.subscribeUA(4)
			seen := make(chan int, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-dev
				seen <- len(history) + len(presence)
			}()
			events := make(chan ua.Event, 1)
			done := make(chan error, 1)
			go func() { done <- c.pump(ctx, events, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
			events <- tc.ev
			if got := <-seen; got != tc.want {
				t.Errorf("the others held %d events when the device took the %s, want %d", got, tc.name, tc.want)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestPumpDropsLogBounded: a subscriber that never reads has its queue
// fill; the events dropped for it after that make one log line per 10 s,
// not one each.
func TestPumpDropsLogBounded(t *testing.T) {
	t.Parallel()
	c := &core{}
	_ = c.subscribeUA(1) // never read
	logs := &lockedWriter{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	events := make(chan ua.Event)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.pump(ctx, events, log) }()
	for i := range 200 {
		events <- ua.Event{Kind: ua.EventDTMF, CallID: fmt.Sprint("c", i), Digit: '1'}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "sip event dropped"); n < 1 || n > 2 {
		t.Errorf("%d log lines for 199 dropped events, want 1 (one per 10 s):\n%s", n, logs.String())
	}
}
