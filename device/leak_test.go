package device_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

// waitGoroutines waits (polling, bounded) until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after stop, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// TestNoGoroutineLeak runs devices through calls, door openings and
// pending timers, stops them mid-way and checks that nothing is left.
// It is not parallel so that the goroutine count is its own.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	cfg := testConfig()
	cfg.Call.TimeLimit = time.Minute
	cfg.Call.WarningBefore = 10 * time.Second
	cfg.Door.LeftOpenAlarm = time.Minute
	for i := range 20 {
		r := newRig(t, cfg)
		sub, cancel := r.d.Subscribe(1) // a subscriber that never reads
		r.press(0)
		r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
		r.dtmf("c1", "#")
		r.input(device.Input{Kind: device.DoorContactOpen})
		r.advance(time.Duration(i) * time.Second)
		if i%2 == 0 {
			cancel()
		}
		r.stop()
		if _, ok := <-sub; ok { // drain the one buffered event, if any
			for range sub {
			}
		}
		if r.clk.Pending() != 0 {
			t.Errorf("run %d: %d timers still armed after stop", i, r.clk.Pending())
		}
	}
	waitGoroutines(t, base)
}

// TestForward feeds a converted channel into the device and stops with ctx.
func TestForward(t *testing.T) {
	base := runtime.NumGoroutine()
	r := newRig(t, testConfig())
	src := make(chan int)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- device.Forward(ctx, src, func(i int) (device.Input, bool) {
			return device.Input{Kind: device.ButtonPress, Button: i}, i >= 0
		}, r.d.Input)
	}()
	src <- -1 // dropped by the conversion
	src <- 0
	src <- -1 // Forward takes this only after it pushed the 0
	r.sync()
	r.wantSlice("calls", r.ph.Calls(), []string{"dial 1001 → c1"})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Forward after cancel = %v", err)
	}
	// After the device stops, Forward reports why.
	r.stop()
	src2 := make(chan int, 1)
	src2 <- 0
	err := device.Forward(context.Background(), src2, func(i int) (device.Input, bool) {
		return device.Input{Kind: device.ButtonPress}, true
	}, r.d.Input)
	if err == nil {
		t.Error("Forward into a stopped device returned nil")
	}
	waitGoroutines(t, base)
}

// BenchmarkButtonToDial measures the device's share of "button edge to
// INVITE": from Input(press) to Phone.Dial being called, then resets the
// call (not timed) for the next round.
func BenchmarkButtonToDial(b *testing.B) {
	clk := devicetest.NewClock()
	ph := &devicetest.Phone{}
	dialled := make(chan time.Time, 1)
	ph.OnDial = func(string, string) { dialled <- time.Now() }
	cfg := testConfig()
	cfg.Buttons[0].Targets = []string{"1001"}
	d, err := device.New(cfg, device.Deps{Outputs: devicetest.NewOutputs(clk), Phone: ph, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	press := device.Input{Kind: device.ButtonPress}
	var total time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := d.Input(ctx, press); err != nil {
			b.Fatal(err)
		}
		total += (<-dialled).Sub(start)
		b.StopTimer()
		ended := device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c" + strconv.Itoa(i+1), State: device.CallEnded, Code: 486}
		if err := d.PhoneEvent(ctx, ended); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 {
			ph.Reset()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/press-to-dial")
}
