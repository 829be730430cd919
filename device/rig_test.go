package device_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

// rig runs one Device on fakes and lets a test script it.
type rig struct {
	t      testing.TB
	clk    *devicetest.Clock
	start  time.Time
	out    *devicetest.Outputs
	ph     *devicetest.Phone
	snd    *devicetest.Sounds
	d      *device.Device
	ev     <-chan device.Event
	events []device.Event
	cancel context.CancelFunc
	done   chan error
}

func testConfig() device.Config {
	c := device.DefaultConfig()
	c.Buttons = []device.Button{{Targets: []string{"1001", "1002"}, Order: device.OrderHunt, RingTimeout: 30 * time.Second}}
	c.Call.TimeLimit = 0
	c.Call.WarningBefore = 0
	c.Door.LeftOpenAlarm = 0
	return c
}

func newRig(t testing.TB, cfg device.Config) *rig { t.Helper(); return newRigWith(t, cfg, nil) }

// newRigWith is newRig with the deps adjusted by tweak (nil: none).
func newRigWith(t testing.TB, cfg device.Config, tweak func(*device.Deps)) *rig {
	t.Helper()
	clk := devicetest.NewClock()
	r := &rig{t: t, clk: clk, start: clk.Now(), out: devicetest.NewOutputs(clk), ph: &devicetest.Phone{},
		snd: &devicetest.Sounds{}, done: make(chan error, 1)}
	deps := device.Deps{Outputs: r.out, Phone: r.ph, Sounds: r.snd, Clock: clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tweak != nil {
		tweak(&deps)
	}
	d, err := device.New(cfg, deps)
	if err != nil {
		t.Fatalf("device.New: %v", err)
	}
	r.d = d
	r.ev, _ = d.Subscribe(1000)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(r.stop)
	r.sync()
	return r
}

func (r *rig) stop() {
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Errorf("Run: %v", err)
	}
	r.done <- nil // later stop calls return at once
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	r.t.Cleanup(cancel)
	return ctx
}

// sync waits until the device handled everything so far and collects
// the events it emitted.
func (r *rig) sync() {
	r.t.Helper()
	if err := r.d.Sync(r.ctx()); err != nil {
		r.t.Fatalf("sync: %v", err)
	}
	for {
		select {
		case e, ok := <-r.ev:
			if !ok {
				return
			}
			r.events = append(r.events, e)
		default:
			return
		}
	}
}

func (r *rig) input(in device.Input) {
	r.t.Helper()
	if err := r.d.Input(r.ctx(), in); err != nil {
		r.t.Fatalf("input: %v", err)
	}
	r.sync()
}

func (r *rig) press(i int) { r.input(device.Input{Kind: device.ButtonPress, Button: i}) }

func (r *rig) phone(ev device.PhoneEvent) {
	r.t.Helper()
	if err := r.d.PhoneEvent(r.ctx(), ev); err != nil {
		r.t.Fatalf("phone event: %v", err)
	}
	r.sync()
}

func (r *rig) state(id, peer string, s device.CallState, code int, reason string) {
	r.phone(device.PhoneEvent{Kind: device.PhoneCallState, CallID: id, Peer: peer, State: s, Code: code, Reason: reason})
}

func (r *rig) dtmf(id, digits string) {
	for i := range len(digits) {
		r.phone(device.PhoneEvent{Kind: device.PhoneDTMF, CallID: id, Digit: digits[i]})
	}
}

func (r *rig) advance(d time.Duration) {
	r.clk.Advance(d)
	r.sync()
}

// at is the clock's offset from the start.
func (r *rig) at() time.Duration { return r.clk.Now().Sub(r.start) }

// eventStrings returns the events so far as strings, without time.
func (r *rig) eventStrings() []string {
	s := make([]string, len(r.events))
	for i, e := range r.events {
		s[i] = e.String()
	}
	return s
}

func (r *rig) eventKinds() []string {
	s := make([]string, len(r.events))
	for i, e := range r.events {
		s[i] = e.Kind.String()
	}
	return s
}

// relay returns the door relay's active spans as [from, to) offsets.
func (r *rig) relay() [][2]time.Duration {
	var s [][2]time.Duration
	for _, iv := range r.out.Active(device.DoorRelay, r.clk.Now()) {
		s = append(s, [2]time.Duration{iv.From.Sub(r.start), iv.To.Sub(r.start)})
	}
	return s
}

func (r *rig) wantSlice(what string, got, want []string) {
	r.t.Helper()
	if !slices.Equal(got, want) {
		r.t.Errorf("%s:\n got  %q\n want %q\noutputs:\n%s", what, got, want, devicetest.Summary(r.start, r.out.Sets()))
	}
}

var errDial = errors.New("no route")
