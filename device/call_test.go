package device_test

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// step is one action of a scripted scenario.
type step func(r *rig)

func press(i int) step             { return func(r *rig) { r.press(i) } }
func advance(d time.Duration) step { return func(r *rig) { r.advance(d) } }
func ringing(id string) step       { return func(r *rig) { r.state(id, "", device.CallRinging, 180, "") } }
func answer(id, peer string) step {
	return func(r *rig) { r.state(id, peer, device.CallAnswered, 200, "") }
}
func end(id string, code int) step {
	return func(r *rig) { r.state(id, "", device.CallEnded, code, "ended") }
}
func dtmf(id, digits string) step { return func(r *rig) { r.dtmf(id, digits) } }
func wantCalls(want ...string) step {
	return func(r *rig) { r.t.Helper(); r.wantSlice("calls", r.ph.Calls(), want) }
}
func wantAt(d time.Duration) step                           { return func(r *rig) { r.t.Helper(); wantTime(r, d) } }
func configure(f func(*device.Config)) func(*device.Config) { return f }

func wantTime(r *rig, d time.Duration) {
	if r.at() != d {
		r.t.Fatalf("script is at %v, expected %v", r.at(), d)
	}
}

func TestOutgoingCalls(t *testing.T) {
	parallel := configure(func(c *device.Config) { c.Buttons[0].Order = device.OrderParallel })
	tests := []struct {
		name    string
		cfg     func(*device.Config)
		steps   []step
		calls   []string
		callLED []string
		cues    []string
		events  []string
	}{{
		name: "hunt: first target answers, peer hangs up",
		steps: []step{press(0), wantCalls("dial 1001 → c1"), ringing("c1"), advance(5 * time.Second),
			answer("c1", "sip:1001@pbx"), advance(time.Minute), end("c1", 0)},
		calls:   []string{"dial 1001 → c1"},
		callLED: []string{"fast blink", "on", "off"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered", "call-ended"},
	}, {
		name: "hunt: ring timeout moves on to the second target, which answers",
		steps: []step{press(0), advance(30*time.Second - time.Millisecond), wantCalls("dial 1001 → c1"),
			advance(time.Millisecond), wantCalls("dial 1001 → c1", "hangup c1", "dial 1002 → c2"),
			end("c1", 487), // the CANCELled leg's end is ignored
			answer("c2", "sip:1002@pbx")},
		calls:   []string{"dial 1001 → c1", "hangup c1", "dial 1002 → c2"},
		callLED: []string{"fast blink", "on"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered"},
	}, {
		name:    "hunt: busy first target, second does not answer: missed",
		steps:   []step{press(0), end("c1", 486), advance(29 * time.Second), wantCalls("dial 1001 → c1", "dial 1002 → c2"), advance(time.Second)},
		calls:   []string{"dial 1001 → c1", "dial 1002 → c2", "hangup c2"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "no-answer"},
		events:  []string{"rang", "missed"},
	}, {
		name:    "hunt: every target busy or declining: busy",
		steps:   []step{press(0), end("c1", 486), end("c2", 603)},
		calls:   []string{"dial 1001 → c1", "dial 1002 → c2"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "busy"},
		events:  []string{"rang", "busy"},
	}, {
		name:    "hunt: first target cannot be dialled, second answers",
		cfg:     nil,
		steps:   []step{func(r *rig) { r.ph.DialErr = map[string]error{"1001": errDial} }, press(0), answer("c1", "")},
		calls:   []string{"dial 1001 → error", "dial 1002 → c1"},
		callLED: []string{"fast blink", "on"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered"},
	}, {
		name:    "parallel: one call rings all at once, the second target answers",
		cfg:     parallel,
		steps:   []step{press(0), wantCalls("dial 1001,1002 → c1"), ringing("c1"), answer("c1", "sip:1002@pbx")},
		calls:   []string{"dial 1001,1002 → c1"},
		callLED: []string{"fast blink", "on"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered"},
	}, {
		name:    "parallel: ring timeout cancels the call: missed",
		cfg:     parallel,
		steps:   []step{press(0), advance(30*time.Second - time.Millisecond), wantCalls("dial 1001,1002 → c1"), advance(time.Millisecond)},
		calls:   []string{"dial 1001,1002 → c1", "hangup c1"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "no-answer"},
		events:  []string{"rang", "missed"},
	}, {
		name:    "parallel: every target busy: busy",
		cfg:     parallel,
		steps:   []step{press(0), end("c1", 486)},
		calls:   []string{"dial 1001,1002 → c1"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "busy"},
		events:  []string{"rang", "busy"},
	}, {
		name:    "parallel: the call fails otherwise: missed",
		cfg:     parallel,
		steps:   []step{press(0), end("c1", 480)},
		calls:   []string{"dial 1001,1002 → c1"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "no-answer"},
		events:  []string{"rang", "missed"},
	}, {
		name: "parallel: the call cannot be dialled: missed at once",
		cfg:  parallel,
		steps: []step{func(r *rig) { r.ph.DialErr = map[string]error{"1002": errDial} },
			press(0), wantAt(0)},
		calls:   []string{"dial 1001,1002 → error"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "no-answer"},
		events:  []string{"rang", "missed"},
	}, {
		name:    "button again while ringing cancels the call",
		steps:   []step{press(0), advance(2 * time.Second), press(0), advance(time.Minute)},
		calls:   []string{"dial 1001 → c1", "hangup c1"},
		callLED: []string{"fast blink", "off"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "call-ended"},
	}, {
		name:    "button again while connected hangs up",
		steps:   []step{press(0), answer("c1", ""), press(0)},
		calls:   []string{"dial 1001 → c1", "hangup c1"},
		callLED: []string{"fast blink", "on", "off"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered", "call-ended"},
	}, {
		name:    "button again is ignored when end_on_button is off",
		cfg:     configure(func(c *device.Config) { c.Call.EndOnButton = false }),
		steps:   []step{press(0), answer("c1", ""), press(0), press(0)},
		calls:   []string{"dial 1001 → c1"},
		callLED: []string{"fast blink", "on"},
		cues:    []string{"ringback", "stop"},
		events:  []string{"rang", "answered"},
	}, {
		name:    "a button without targets does nothing",
		steps:   []step{press(3)},
		events:  []string{},
		calls:   []string{},
		callLED: []string{},
		cues:    []string{},
	}, {
		name: "a button with neither order nor ring timeout hunts, 30s each",
		cfg:  configure(func(c *device.Config) { c.Buttons[0].Order, c.Buttons[0].RingTimeout = "", 0 }),
		steps: []step{press(0), advance(30*time.Second - time.Millisecond), wantCalls("dial 1001 → c1"),
			advance(time.Millisecond)},
		calls:   []string{"dial 1001 → c1", "hangup c1", "dial 1002 → c2"},
		callLED: []string{"fast blink"},
		cues:    []string{"ringback"},
		events:  []string{"rang"},
	}, {
		name:    "a second call after the first",
		steps:   []step{press(0), answer("c1", ""), end("c1", 0), press(0), answer("c2", "")},
		calls:   []string{"dial 1001 → c1", "dial 1001 → c2"},
		callLED: []string{"fast blink", "on", "off", "fast blink", "on"},
		cues:    []string{"ringback", "stop", "ringback", "stop"},
		events:  []string{"rang", "answered", "call-ended", "rang", "answered"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := newRig(t, cfg)
			for _, s := range tc.steps {
				s(r)
			}
			r.wantSlice("calls", r.ph.Calls(), tc.calls)
			r.wantSlice("call LED", r.out.Patterns(device.CallLED), tc.callLED)
			r.wantSlice("cues", r.snd.Played(), tc.cues)
			r.wantSlice("events", r.eventKinds(), tc.events)
		})
	}
}

func TestCallLEDTiming(t *testing.T) {
	t.Parallel()
	r := newRig(t, testConfig())
	r.advance(time.Second)
	r.press(0)
	r.advance(4 * time.Second)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.advance(10 * time.Second)
	r.state("c1", "", device.CallEnded, 0, "BYE from peer")
	var got []string
	for _, s := range r.out.Sets() {
		if s.Output == device.CallLED {
			got = append(got, s.Time.Sub(r.start).String()+" "+s.Pattern.String())
		}
	}
	r.wantSlice("call LED with times", got, []string{"1s fast blink", "5s on", "15s off"})
	r.wantSlice("events", r.eventStrings(), []string{
		"rang button=0 targets=[1001 1002]", "answered sip:1001@pbx incoming=false", "call-ended sip:1001@pbx (BYE from peer)"})
}

func TestTimeLimitWarningAndExtension(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Call.TimeLimit = time.Minute
	cfg.Call.WarningBefore = 10 * time.Second
	r := newRig(t, cfg)
	r.press(0)
	r.state("c1", "sip:1001@pbx", device.CallAnswered, 200, "")
	r.advance(50*time.Second - time.Millisecond)
	r.wantSlice("cues before warning", r.snd.Played(), []string{"ringback", "stop"})
	r.advance(time.Millisecond)
	r.wantSlice("cues at warning", r.snd.Played(), []string{"ringback", "stop", "warning"})
	r.advance(5 * time.Second) // 55s: the resident extends with "*"
	r.dtmf("c1", "*")
	r.wantSlice("cues after extension", r.snd.Played(), []string{"ringback", "stop", "warning", "extended"})
	r.advance(10 * time.Second) // 65s: past the old limit, the call goes on
	r.wantSlice("calls at old limit", r.ph.Calls(), []string{"dial 1001 → c1"})
	r.advance(40*time.Second - time.Millisecond) // 105s - 1ms
	r.wantSlice("cues before second warning", r.snd.Played(), []string{"ringback", "stop", "warning", "extended"})
	r.advance(time.Millisecond) // 105s: the new warning
	r.advance(10*time.Second - time.Millisecond)
	r.wantSlice("calls before new limit", r.ph.Calls(), []string{"dial 1001 → c1"})
	r.advance(time.Millisecond) // 115s = 55s + 60s
	r.wantSlice("calls at limit", r.ph.Calls(), []string{"dial 1001 → c1", "hangup c1"})
	r.wantSlice("cues", r.snd.Played(), []string{"ringback", "stop", "warning", "extended", "warning"})
	r.wantSlice("call LED", r.out.Patterns(device.CallLED), []string{"fast blink", "on", "off"})
	last := r.events[len(r.events)-1]
	if last.Kind != device.EventCallEnded || last.Reason != "call time limit reached" || last.Time.Sub(r.start) != 115*time.Second {
		t.Errorf("last event = %v at %v, want call-ended by the limit at 115s", last, last.Time.Sub(r.start))
	}
}

func TestStatusLED(t *testing.T) {
	t.Parallel()
	reg := func(acct string, s device.RegState) step {
		return func(r *rig) {
			r.phone(device.PhoneEvent{Kind: device.PhoneRegistration, Account: acct, Reg: s})
		}
	}
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"registering then registered", []step{reg("a", device.Registering), reg("a", device.Registered)},
			[]string{"slow blink", "on"}},
		{"registered, failed, registered again", []step{reg("a", device.Registered), reg("a", device.RegFailed),
			reg("a", device.Registering), reg("a", device.Registered)},
			[]string{"slow blink", "on", "double blink", "slow blink", "on"}},
		{"two accounts: on only when both are registered", []step{reg("a", device.Registered),
			reg("b", device.Registering), reg("b", device.Registered)},
			[]string{"slow blink", "on", "slow blink", "on"}},
		{"repeated states set nothing", []step{reg("a", device.Registered), reg("a", device.Registered), reg("a", device.Registered)},
			[]string{"slow blink", "on"}},
		{"a call does not touch the status LED", []step{reg("a", device.Registered), press(0), answer("c1", ""), end("c1", 0)},
			[]string{"slow blink", "on"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, testConfig())
			for _, s := range tc.steps {
				s(r)
			}
			r.wantSlice("status LED", r.out.Patterns(device.StatusLED), tc.want)
		})
	}
}
