package sipphone_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
	"github.com/sipbell/sipbell/device/sipphone"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua"
)

func TestEvent(t *testing.T) {
	tests := []struct {
		in   ua.Event
		want device.PhoneEvent
		ok   bool
	}{
		{ua.Event{Kind: ua.EventRegistration, Account: "sip:door@pbx", Reg: ua.Registered, Reason: "200 OK"},
			device.PhoneEvent{Kind: device.PhoneRegistration, Account: "sip:door@pbx", Reg: device.Registered, Reason: "200 OK"}, true},
		{ua.Event{Kind: ua.EventRegistration, Reg: ua.RegFailed},
			device.PhoneEvent{Kind: device.PhoneRegistration, Reg: device.RegFailed}, true},
		{ua.Event{Kind: ua.EventRegistration, Reg: ua.Registering},
			device.PhoneEvent{Kind: device.PhoneRegistration, Reg: device.Registering}, true},
		{ua.Event{Kind: ua.EventIncomingCall, CallID: "c1", Peer: "sip:alice@pbx"},
			device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "c1", Peer: "sip:alice@pbx", State: device.CallIncoming}, true},
		{ua.Event{Kind: ua.EventCallState, CallID: "c1", State: ua.CallRinging, Code: 180},
			device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallRinging, Code: 180}, true},
		{ua.Event{Kind: ua.EventCallState, CallID: "c1", State: ua.CallAnswered},
			device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallAnswered}, true},
		{ua.Event{Kind: ua.EventCallState, CallID: "c1", State: ua.CallEnded, Code: 486, Reason: "486 Busy Here"},
			device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallEnded, Code: 486, Reason: "486 Busy Here"}, true},
		{ua.Event{Kind: ua.EventCallState, State: ua.CallCalling},
			device.PhoneEvent{Kind: device.PhoneCallState, State: device.CallCalling}, true},
		{ua.Event{Kind: ua.EventDTMF, CallID: "c1", Digit: '#'},
			device.PhoneEvent{Kind: device.PhoneDTMF, CallID: "c1", Digit: '#'}, true},
		{ua.Event{Kind: ua.EventKind(99)}, device.PhoneEvent{}, false},
	}
	for _, tc := range tests {
		got, ok := sipphone.Event(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Event(%v) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// startUA runs a real user agent on loopback without accounts.
func startUA(t testing.TB) *ua.UA {
	t.Helper()
	cfg := ua.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.AutoAnswer = false // the device decides
	u, err := ua.New(cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ua Run: %v", err)
		}
	})
	return u
}

// startDevice runs a door station on u, with recorded outputs.
func startDevice(t testing.TB, u *ua.UA, cfg device.Config, log *slog.Logger) (*device.Device, *devicetest.Outputs, <-chan device.Event) {
	t.Helper()
	out := devicetest.NewOutputs(device.SystemClock{})
	d, err := device.New(cfg, device.Deps{Outputs: out, Phone: sipphone.New(u), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := d.Subscribe(64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- d.Run(ctx) }()
	go func() { done <- device.Forward(ctx, u.Events(), sipphone.Event, d.PhoneEvent) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("device: %v", err)
			}
		}
	})
	return d, out, events
}

// waitEvent returns the next device event of kind, failing on timeout.
func waitEvent(t *testing.T, events <-chan device.Event, kind device.EventKind) device.Event {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

// TestDoorCallThroughUA: a visitor presses the button, the device calls
// through the real user agent, sipp answers as the resident and presses
// "#" (SIP INFO), the relay pulses, the visitor's second press hangs up.
func TestDoorCallThroughUA(t *testing.T) {
	t.Parallel()
	s := interop.StartSipp(t, interop.SippOptions{Scenario: "testdata/uas_answer_info.xml",
		Replace: map[string]string{"digit": "#"}, Timeout: 30 * time.Second})
	u := startUA(t)
	cfg := device.DefaultConfig()
	cfg.Buttons[0].Targets = []string{"sip:uas@" + s.Addr}
	cfg.Door.RelayPulse = 2 * time.Second
	d, out, events := startDevice(t, u, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if err := d.Input(ctx, device.Input{Kind: device.ButtonPress}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, device.EventRang)
	ans := waitEvent(t, events, device.EventAnswered)
	if !strings.Contains(ans.Peer, "uas@") {
		t.Errorf("answered by %q, want sipp's uas", ans.Peer)
	}
	opened := waitEvent(t, events, device.EventDoorOpened)
	if !strings.Contains(opened.Who, "uas@") {
		t.Errorf("door opened by %q, want the resident", opened.Who)
	}
	if got := out.Patterns(device.DoorRelay); len(got) != 1 || got[0] != "pulse 2s" {
		t.Errorf("relay patterns %q, want one 2s pulse", got)
	}
	if got := out.Patterns(device.CallLED); len(got) != 2 || got[0] != "fast blink" || got[1] != "on" {
		t.Errorf("call LED %q, want fast blink, on", got)
	}
	if err := d.Input(ctx, device.Input{Kind: device.ButtonPress}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, device.EventCallEnded)
	r := s.Wait(ctx)
	if r.Exit != 0 {
		t.Errorf("sipp exit %d:\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
}

func TestUnknownCall(t *testing.T) {
	t.Parallel()
	p := sipphone.New(startUA(t))
	ctx := context.Background()
	if err := p.Hangup(ctx, "nope"); err != nil {
		t.Errorf("Hangup of an ended call = %v, want nil", err)
	}
	if err := p.Answer(ctx, "nope"); !errors.Is(err, sipphone.ErrNoCall) {
		t.Errorf("Answer of an unknown call = %v, want ErrNoCall", err)
	}
	if _, err := p.Dial(ctx, []string{"not a uri"}); err == nil {
		t.Error("Dial of a bad target succeeded")
	}
}

// BenchmarkButtonToINVITE measures the figure on loopback: from
// the button event entering the device to the INVITE arriving at the
// called party's socket (device + ua + sipgo + UDP). The "resident"
// answers 486 so the next round starts from idle.
func BenchmarkButtonToINVITE(b *testing.B) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	u := startUA(b)
	cfg := device.DefaultConfig()
	cfg.Buttons[0].Targets = []string{"sip:bench@" + pc.LocalAddr().String()}
	d, _, events := startDevice(b, u, cfg, nil)
	ctx := context.Background()
	buf := make([]byte, 65536)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := d.Input(ctx, device.Input{Kind: device.ButtonPress}); err != nil {
			b.Fatal(err)
		}
		var req string
		var from net.Addr
		for !strings.HasPrefix(req, "INVITE ") {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				b.Fatal(err)
			}
			req, from = string(buf[:n]), addr
		}
		total += time.Since(start)
		b.StopTimer()
		if _, err := pc.WriteTo([]byte(busyFor(req)), from); err != nil {
			b.Fatal(err)
		}
		for e := range events {
			if e.Kind == device.EventBusy || e.Kind == device.EventMissed {
				break
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/press-to-INVITE")
}

// busyFor builds a 486 response to the INVITE req.
func busyFor(req string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 486 Busy Here\r\n")
	for _, line := range strings.Split(req, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v", "from", "f", "call-id", "i", "cseq":
			b.WriteString(line + "\r\n")
		case "to", "t":
			b.WriteString(line + ";tag=bench\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}
