package main

import (
	"context"
	"io"
	"log/slog"
	"runtime"
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
