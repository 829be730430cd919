package device_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
)

type span = [2]time.Duration

func TestDoorCode(t *testing.T) {
	const s = time.Second
	type key struct {
		pause  time.Duration // before this key
		digits string
	}
	tests := []struct {
		name  string
		code  string
		keys  []key
		relay []span
	}{
		{"single # opens", "#", []key{{0, "#"}}, []span{{0, 3 * s}}},
		{"full code at once", "1234#", []key{{0, "1234#"}}, []span{{0, 3 * s}}},
		{"partial code does not open", "1234#", []key{{0, "1234"}}, nil},
		{"wrong code does not open", "1234#", []key{{0, "1235#"}}, nil},
		{"wrong then right", "1234#", []key{{0, "1235#"}, {s, "1234#"}}, []span{{s, 4 * s}}},
		{"code after stray digits", "1234#", []key{{0, "99"}, {0, "1234#"}}, []span{{0, 3 * s}}},
		{"split across events just inside the timeout", "1234#",
			[]key{{0, "12"}, {3*s - time.Millisecond, "3"}, {3*s - time.Millisecond, "4#"}}, []span{{6*s - 2*time.Millisecond, 9*s - 2*time.Millisecond}}},
		{"a pause of the timeout forgets the start", "1234#", []key{{0, "12"}, {3 * s, "34#"}}, nil},
		{"after a timeout the whole code still works", "1234#", []key{{0, "12"}, {3 * s, "1234#"}}, []span{{3 * s, 6 * s}}},
		{"extend key inside the code is not part of it", "1234#", []key{{0, "12*34#"}}, []span{{0, 3 * s}}},
		{"opening twice restarts the pulse", "#", []key{{0, "#"}, {s, "#"}}, []span{{0, s}, {s, 4 * s}}},
		{"empty code: DTMF never opens", "", []key{{0, "#1234#"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Door.Code = tc.code
			r := newRig(t, cfg)
			r.press(0)
			r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
			base := r.at()
			for _, k := range tc.keys {
				r.advance(k.pause)
				r.dtmf("c1", k.digits)
			}
			r.advance(10 * time.Second)
			var got []span
			for _, iv := range r.relay() {
				got = append(got, span{iv[0] - base, iv[1] - base})
			}
			if !slices.Equal(got, tc.relay) {
				t.Errorf("relay active %v, want %v", got, tc.relay)
			}
			var opened int
			for _, e := range r.events {
				if e.Kind == device.EventDoorOpened {
					opened++
					if e.Who != "sip:1001@pbx" {
						t.Errorf("door opened by %q, want the answering peer", e.Who)
					}
				}
			}
			if opened != len(tc.relay) {
				t.Errorf("%d door-opened events, want %d", opened, len(tc.relay))
			}
		})
	}
}

func TestWhoMayOpen(t *testing.T) {
	tests := []struct {
		name           string
		targetsMayOpen bool
		allowed        []string
		peer           string
		open           bool
	}{
		{"called target may open", true, nil, "sip:1001@pbx", true},
		{"called target may not open when targets_may_open is off", false, nil, "sip:1001@pbx", false},
		{"allowed user on any host", false, []string{"1001"}, `"Flat 1" <sip:1001@pbx:5060;transport=udp>`, true},
		{"allowed user@host", false, []string{"sip:1001@PBX"}, "sip:1001@pbx", true},
		{"allowed user on another host", false, []string{"1001@other"}, "sip:1001@pbx", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Door.TargetsMayOpen = tc.targetsMayOpen
			cfg.Door.Allowed = tc.allowed
			r := newRig(t, cfg)
			r.press(0)
			r.state("c1", tc.peer, device.CallAnswered, 200, "")
			r.dtmf("c1", "#")
			if got := len(r.relay()) == 1; got != tc.open {
				t.Errorf("door opened = %v, want %v (relay %v)", got, tc.open, r.relay())
			}
		})
	}
}

func TestDTMFOutsideTheCallIsIgnored(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	r.dtmf("c9", "#") // no call at all
	r.press(0)
	r.dtmf("c1", "#") // ringing, not answered
	r.state("c1", "", device.CallAnswered, 200, "")
	r.dtmf("c2", "#") // another call's digits
	if got := r.relay(); len(got) != 0 {
		t.Errorf("relay pulsed %v on digits outside the connected call", got)
	}
}

func TestRelayAndDoorContact(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Door.LeftOpenAlarm = time.Minute
	cfg.Door.RelayPulse = 5 * time.Second
	r := newRig(t, cfg)
	r.press(0)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.advance(2 * time.Second)
	r.dtmf("c1", "#") // 2s: relay on for 5s
	r.advance(1500 * time.Millisecond)
	r.input(device.Input{Kind: device.DoorContactOpen}) // 3.5s: the door opens, the relay is released
	r.wantSlice("relay patterns", r.out.Patterns(device.DoorRelay), []string{"pulse 5s", "off"})
	if got, want := r.relay(), []span{{2 * time.Second, 3500 * time.Millisecond}}; !slices.Equal(got, want) {
		t.Errorf("relay active %v, want %v", got, want)
	}
	r.advance(time.Minute - time.Millisecond)
	if slices.Contains(r.eventKinds(), "door-left-open") {
		t.Fatal("door-left-open before the alarm time")
	}
	r.advance(time.Millisecond)
	r.advance(30 * time.Second)
	r.input(device.Input{Kind: device.DoorContactClosed})
	r.wantSlice("events", r.eventStrings(), []string{"rang button=0 targets=[1001 1002]",
		"answered sip:1001@pbx incoming=false", "door-opened by sip:1001@pbx", "door-contact-open",
		"door-left-open after 1m0s", "door-closed after 1m30s"})
	r.wantSlice("cues", r.snd.Played(), []string{"ringback", "stop", "door-opened"})
}

func TestDoorContactWithoutAlarm(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig()) // left_open_alarm 0: off
	r.input(device.Input{Kind: device.DoorContactOpen})
	r.advance(24 * time.Hour)
	r.input(device.Input{Kind: device.DoorContactClosed})
	r.input(device.Input{Kind: device.DoorContactClosed}) // a repeated edge is ignored
	r.wantSlice("events", r.eventStrings(), []string{"door-contact-open", "door-closed after 24h0m0s"})
	r.wantSlice("relay patterns", r.out.Patterns(device.DoorRelay), nil)
}

func TestHangupAfterOpen(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Door.HangupAfterOpen = 5 * time.Second
	r := newRig(t, cfg)
	r.press(0)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.dtmf("c1", "#")
	r.advance(5*time.Second - time.Millisecond)
	r.wantSlice("calls before", r.ph.Calls(), []string{"dial 1001 → c1"})
	r.advance(time.Millisecond)
	r.wantSlice("calls after", r.ph.Calls(), []string{"dial 1001 → c1", "hangup c1"})
	r.wantSlice("call LED", r.out.Patterns(device.CallLED), []string{"fast blink", "on", "off"})
	if got := r.relay(); !slices.Equal(got, []span{{0, 3 * time.Second}}) {
		t.Errorf("relay active %v, want 0-3s", got)
	}
}

func TestIncomingCalls(t *testing.T) {
	// incoming: a call whose caller the user agent verified as peer
	// (through the trusted proxy); forged: one only claiming to be peer.
	incoming := func(id, peer string) step {
		return func(r *rig) {
			r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: id, Peer: peer, State: device.CallIncoming,
				Caller: device.Caller{Identity: peer, Via: "proxy", Source: "192.0.2.1"}})
		}
	}
	forged := func(id, peer string) step {
		return func(r *rig) {
			r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: id, Peer: peer, State: device.CallIncoming,
				Caller: device.Caller{Source: "192.0.2.66"}})
		}
	}
	tests := []struct {
		name       string
		autoAnswer bool
		steps      []step
		calls      []string
		callLED    []string
		events     []string
	}{{
		name:       "allowed caller is auto-answered and may open",
		autoAnswer: true,
		steps:      []step{incoming("in1", "sip:alice@pbx"), answer("in1", "sip:alice@pbx"), dtmf("in1", "#"), end("in1", 0)},
		calls:      []string{"answer in1"},
		callLED:    []string{"on", "off"},
		events:     []string{"answered sip:alice@pbx incoming=true", "door-opened by sip:alice@pbx", "call-ended sip:alice@pbx (ended)"},
	}, {
		name:       "a caller not in door.allowed is refused, never answered",
		autoAnswer: true,
		steps:      []step{incoming("in1", "sip:mallory@pbx"), end("in1", 480)},
		calls:      []string{"hangup in1"},
	}, {
		name:       "a From claiming an allowed caller is refused, never answered",
		autoAnswer: true,
		steps:      []step{forged("in1", "sip:alice@pbx"), end("in1", 480)},
		calls:      []string{"hangup in1"},
	}, {
		name:       "a refused caller does not block the next call",
		autoAnswer: true,
		steps: []step{forged("in1", "sip:alice@pbx"), end("in1", 480), incoming("in2", "sip:alice@pbx"),
			answer("in2", "")},
		calls:   []string{"hangup in1", "answer in2"},
		callLED: []string{"on"},
		events:  []string{"answered sip:alice@pbx incoming=true"},
	}, {
		name:       "auto-answer off leaves even allowed callers to the UA",
		autoAnswer: false,
		steps:      []step{incoming("in1", "sip:alice@pbx"), end("in1", 487)},
		calls:      []string{},
		events:     []string{"call-ended sip:alice@pbx (ended)"},
	}, {
		name:       "a visitor's press drops a call still ringing in",
		autoAnswer: false,
		steps:      []step{incoming("in1", "sip:alice@pbx"), press(0), end("in1", 487)},
		calls:      []string{"hangup in1", "dial 1001 → c1"},
		callLED:    []string{"fast blink"},
		events:     []string{"rang button=0 targets=[1001 1002]"},
	}, {
		name:       "a call while a visitor call rings is rejected",
		autoAnswer: true,
		steps:      []step{press(0), incoming("in1", "sip:alice@pbx")},
		calls:      []string{"dial 1001 → c1", "hangup in1"},
		callLED:    []string{"fast blink"},
		events:     []string{"rang button=0 targets=[1001 1002]"},
	}, {
		name:       "a failed Answer leaves the decision to the UA's events",
		autoAnswer: true,
		steps: []step{func(r *rig) { r.ph.AnswerErr = errDial }, incoming("in1", "sip:alice@pbx"),
			answer("in1", "sip:alice@pbx")},
		calls:   []string{"answer in1"},
		callLED: []string{"on"},
		events:  []string{"answered sip:alice@pbx incoming=true"},
	}, {
		name:       "the visitor's button does not end a monitoring call",
		autoAnswer: true,
		steps:      []step{incoming("in1", "sip:alice@pbx"), answer("in1", ""), press(0)},
		calls:      []string{"answer in1"},
		callLED:    []string{"on"},
		events:     []string{"answered sip:alice@pbx incoming=true"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.AutoAnswer = tc.autoAnswer
			cfg.Door.Allowed = []string{"alice"}
			r := newRig(t, cfg)
			for _, s := range tc.steps {
				s(r)
			}
			r.wantSlice("calls", r.ph.Calls(), tc.calls)
			r.wantSlice("call LED", r.out.Patterns(device.CallLED), tc.callLED)
			r.wantSlice("events", r.eventStrings(), tc.events)
		})
	}
}

func TestOpenDoorFromAPI(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	r.advance(time.Second)
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); err != nil {
		t.Fatalf("OpenDoor: %v", err)
	}
	r.advance(10 * time.Second)
	if got := r.relay(); !slices.Equal(got, []span{{time.Second, 4 * time.Second}}) {
		t.Errorf("relay active %v, want 1s-4s", got)
	}
	r.sync()
	r.wantSlice("events", r.eventStrings(), []string{"door-opened by api:admin"})

	boom := errors.New("relay pin gone")
	r.out.Err = boom
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); !errors.Is(err, boom) {
		t.Errorf("OpenDoor with a failing relay = %v, want it to wrap %v", err, boom)
	}
}

func TestStoppedDevice(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	r.press(0)
	r.state("c1", "", device.CallAnswered, 200, "")
	r.stop()
	r.wantSlice("calls", r.ph.Calls(), []string{"dial 1001 → c1", "hangup c1"})
	r.wantSlice("call LED", r.out.Patterns(device.CallLED), []string{"fast blink", "on", "off"})
	ctx := context.Background()
	if err := r.d.Input(ctx, device.Input{Kind: device.ButtonPress}); !errors.Is(err, device.ErrStopped) {
		t.Errorf("Input after stop = %v, want ErrStopped", err)
	}
	if err := r.d.OpenDoor(ctx, "api:x"); !errors.Is(err, device.ErrStopped) {
		t.Errorf("OpenDoor after stop = %v, want ErrStopped", err)
	}
	if err := r.d.Run(ctx); !errors.Is(err, device.ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	ch, _ := r.d.Subscribe(1)
	if _, ok := <-ch; ok {
		t.Error("a subscription after stop is not closed")
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	status := func() device.Status {
		t.Helper()
		s, err := r.d.Status(r.ctx())
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		return s
	}
	r.phone(device.PhoneEvent{Kind: device.PhoneRegistration, Account: "sip:door@pbx", Reg: device.Registered})
	if s := status(); s.Call != "idle" || s.Registrations["sip:door@pbx"] != "registered" || s.Mode != "door" {
		t.Errorf("idle status %+v", s)
	}
	r.advance(time.Second)
	r.press(0)
	r.advance(time.Second)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.dtmf("c1", "#")
	r.input(device.Input{Kind: device.DoorContactOpen})
	s := status()
	if s.Call != "connected" || s.Peer != "sip:1001@pbx" || s.Since.Sub(r.start) != 2*time.Second || !s.DoorOpen || s.Relay {
		t.Errorf("connected status %+v (the contact ended the pulse)", s)
	}
	r.stop()
	if _, err := r.d.Status(r.ctx()); !errors.Is(err, device.ErrStopped) {
		t.Errorf("Status after stop = %v", err)
	}
}

func TestStatusLEDPeerToPeer(t *testing.T) {
	t.Parallel()
	clk := devicetest.NewClock()
	out := devicetest.NewOutputs(clk)
	d, err := device.New(testConfig(), device.Deps{Outputs: out, Phone: &devicetest.Phone{}, Clock: clk, PeerToPeer: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if got := out.Patterns(device.StatusLED); !slices.Equal(got, []string{"on"}) {
		t.Errorf("status LED %q, want on at once without accounts", got)
	}
}
