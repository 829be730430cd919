package device_test

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/tone"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/devicetest"
	"github.com/sipbell/sipbell/device/dialplan"
)

// handset records what the phone does with its earpiece and microphone,
// as "+offset op" lines on the rig's clock.
type handset struct {
	clk   *devicetest.Clock
	start time.Time
	mu    sync.Mutex
	log   []string
	pcm   []int16 // the last Play
}

func (h *handset) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, fmt.Sprintf("+%v %s", h.clk.Now().Sub(h.start), s))
}
func (h *handset) Tone(k tone.Kind) error { h.add("tone " + k.String()); return nil }
func (h *handset) Play(pcm []int16) error {
	h.add(fmt.Sprintf("play %v", time.Duration(len(pcm))*time.Second/8000))
	h.mu.Lock()
	h.pcm = pcm
	h.mu.Unlock()
	return nil
}
func (h *handset) Quiet() error { h.add("quiet"); return nil }
func (h *handset) MuteCall(on bool) error {
	h.add(map[bool]string{true: "mute", false: "unmute"}[on])
	return nil
}
func (h *handset) Listen(on bool) error {
	h.add(map[bool]string{true: "listen", false: "deaf"}[on])
	return nil
}
func (h *handset) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

// phoneRig is a rig running mode ata with a recording handset.
type phoneRig struct {
	*rig
	hs *handset
}

func newPhoneRig(t *testing.T, pc device.PhoneConfig) *phoneRig {
	t.Helper()
	cfg := device.DefaultConfig()
	cfg.Mode = device.ModeATA
	cfg.Phone = pc
	hs := &handset{}
	r := newRigWith(t, cfg, func(d *device.Deps) {
		hs.clk, hs.start = d.Clock.(*devicetest.Clock), d.Clock.Now()
		d.Handset = hs
	})
	return &phoneRig{rig: r, hs: hs}
}

// edge feeds a contact edge stamped with the clock's time.
func (r *phoneRig) edge(k device.InputKind) { r.input(device.Input{Kind: k, Time: r.clk.Now()}) }

// offHook lifts the handset and lets the debounce pass.
func (r *phoneRig) offHook() { r.edge(device.HookOff); r.advance(10 * time.Millisecond) }

// onHook puts it down for good (longer than a flash).
func (r *phoneRig) onHook() { r.edge(device.HookOn); r.advance(time.Second) }

func (r *phoneRig) keys(s string) {
	for i := range len(s) {
		r.input(device.Input{Kind: device.HandsetDigit, Digit: s[i]})
	}
}

// pulses dials n pulses on the hook (hook true) or the dial contact,
// 60 ms break and 40 ms make (10 pps, 60/40), then the digit gap.
func (r *phoneRig) pulses(n int, hook bool) {
	brk, mk := device.DialBreak, device.DialMake
	if hook {
		brk, mk = device.HookOn, device.HookOff
	}
	for range n {
		r.edge(brk)
		r.advance(60 * time.Millisecond)
		r.edge(mk)
		r.advance(40 * time.Millisecond)
	}
	r.advance(300 * time.Millisecond)
}

// ringer is the ringer and line-reversal patterns set, "+offset what".
func (r *phoneRig) ringer() []string {
	var s []string
	for _, x := range r.out.Sets() {
		if x.Output == device.Ringer || x.Output == device.LineReversal {
			s = append(s, fmt.Sprintf("+%v %s %s", x.Time.Sub(r.start), x.Output, x.Pattern))
		}
	}
	return s
}

func (r *phoneRig) check(handset, calls, ringer []string) {
	r.t.Helper()
	r.wantSlice("handset", r.hs.lines(), handset)
	r.wantSlice("calls", r.ph.Calls(), calls)
	if ringer != nil {
		r.wantSlice("ringer", r.ringer(), ringer)
	}
}

func mapPlan(m string) device.PhoneConfig {
	var c device.PhoneConfig
	c.DialPlan.DigitMap = m
	return c
}

// TestPhoneOutgoing: off hook, tones, digits through the dial plan,
// call progress, hang-up, on the fake clock.
func TestPhoneOutgoing(t *testing.T) {
	tests := []struct {
		name    string
		cfg     device.PhoneConfig
		script  func(r *phoneRig)
		handset []string
		calls   []string
	}{
		{"dial tone times out: reorder, howler, silence, on hook", device.PhoneConfig{},
			func(r *phoneRig) {
				r.offHook()
				r.advance(30 * time.Second)
				r.advance(30 * time.Second)
				r.advance(60 * time.Second)
				r.onHook()
			},
			[]string{"+10ms listen", "+10ms tone dial", "+30.01s tone congestion", "+1m0.01s tone howler",
				"+2m0.01s quiet", "+2m1.01s deaf"}, nil},
		{"unique match dials at once; ringback; answer; far end hangs up: reorder", mapPlan("(1xxx|[2-9]xx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1234")
				r.state("c1", "", device.CallRinging, 180, "")
				r.advance(time.Second)
				r.state("c1", "sip:1234@pbx", device.CallAnswered, 200, "")
				r.advance(time.Second)
				r.state("c1", "", device.CallEnded, 0, "BYE from peer")
				r.advance(30 * time.Second)
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone ringback", "+1.01s quiet",
				"+2.01s tone congestion", "+32.01s tone howler"},
			[]string{"dial 1234 → c1"}},
		{"early media (183 with audio) stops the local ringback for good", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1000")
				r.state("c1", "", device.CallRinging, 180, "")
				r.advance(time.Second)
				r.phone(device.PhoneEvent{Kind: device.PhoneCallState, CallID: "c1", State: device.CallRinging, Code: 183, EarlyMedia: true})
				r.advance(time.Second)
				r.state("c1", "", device.CallRinging, 180, "")
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone ringback", "+1.01s quiet"},
			[]string{"dial 1000 → c1"}},
		{"short timer dials a number that could go on", device.PhoneConfig{},
			func(r *phoneRig) { r.offHook(); r.keys("12"); r.advance(3 * time.Second); r.advance(time.Second) },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial 12 → c1"}},
		{"# dials now", device.PhoneConfig{},
			func(r *phoneRig) { r.offHook(); r.keys("123#") },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial 123 → c1"}},
		{"no match: reorder", mapPlan("(1xxx)"),
			func(r *phoneRig) { r.offHook(); r.keys("2") },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone congestion"}, nil},
		{"long timer runs out: reorder", mapPlan("(1xxx)"),
			func(r *phoneRig) { r.offHook(); r.keys("1"); r.advance(9 * time.Second); r.advance(time.Second) },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10.01s tone congestion"}, nil},
		{"486 busy: busy tone, then howler", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1000")
				r.state("c1", "", device.CallEnded, 486, "486 Busy Here")
				r.advance(30 * time.Second)
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone busy", "+30.01s tone howler"},
			[]string{"dial 1000 → c1"}},
		{"600 busy everywhere: busy tone", mapPlan("(1xxx)"),
			func(r *phoneRig) { r.offHook(); r.keys("1000"); r.state("c1", "", device.CallEnded, 600, "") },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone busy"}, []string{"dial 1000 → c1"}},
		{"404: reorder", mapPlan("(1xxx)"),
			func(r *phoneRig) { r.offHook(); r.keys("1000"); r.state("c1", "", device.CallEnded, 404, "") },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone congestion"}, []string{"dial 1000 → c1"}},
		{"on hook in a call: BYE once the break outlasts a flash", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1000")
				r.state("c1", "", device.CallAnswered, 200, "")
				r.edge(device.HookOn)
				r.advance(800 * time.Millisecond)
				if got := r.ph.Calls(); len(got) != 1 {
					r.t.Errorf("hung up before flash_max: %v", got)
				}
				r.advance(200 * time.Millisecond)
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+1.01s deaf"},
			[]string{"dial 1000 → c1", "hangup c1"}},
		{"a hook flash in a call does not hang up", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1000")
				r.state("c1", "", device.CallAnswered, 200, "")
				r.edge(device.HookOn)
				r.advance(300 * time.Millisecond)
				r.edge(device.HookOff)
				r.advance(5 * time.Second)
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial 1000 → c1"}},
		{"a hook flash while dialling starts over with dial tone", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1")
				r.edge(device.HookOn)
				r.advance(300 * time.Millisecond)
				r.edge(device.HookOff)
				r.advance(10 * time.Millisecond)
				r.keys("1234")
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+320ms tone dial", "+320ms quiet"},
			[]string{"dial 1234 → c1"}},
		{"a hook flash after reorder gives dial tone again", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("9")
				r.edge(device.HookOn)
				r.advance(300 * time.Millisecond)
				r.edge(device.HookOff)
				r.advance(10 * time.Millisecond)
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone congestion", "+320ms tone dial"},
			nil},
		{"voicemail waiting: stutter dial tone, which times out like dial tone", device.PhoneConfig{},
			func(r *phoneRig) {
				if err := r.d.MessageWaiting(r.ctx(), true); err != nil {
					r.t.Fatal(err)
				}
				r.offHook()
				if st, _ := r.d.Status(r.ctx()); !st.Voicemail {
					r.t.Error("status does not show the waiting message")
				}
				r.advance(30 * time.Second)
				r.onHook()
				r.d.MessageWaiting(r.ctx(), false)
				r.offHook()
			},
			[]string{"+10ms listen", "+10ms tone stutter", "+30.01s tone congestion", "+31.01s deaf", "+31.01s quiet",
				"+31.02s listen", "+31.02s tone dial"}, nil},
		{"hotline dials on off hook, no dial tone", device.PhoneConfig{DialPlan: hotline("100", 0)},
			func(r *phoneRig) { r.offHook() }, []string{"+10ms listen"}, []string{"dial 100 → c1"}},
		{"warmline dials after its delay", device.PhoneConfig{DialPlan: hotline("100", 5*time.Second)},
			func(r *phoneRig) { r.offHook(); r.advance(5 * time.Second) },
			[]string{"+10ms listen", "+10ms tone dial", "+5.01s quiet"}, []string{"dial 100 → c1"}},
		{"warmline: a digit first cancels it (7 goes on the short timer)", device.PhoneConfig{DialPlan: hotline("100", 5*time.Second)},
			func(r *phoneRig) { r.offHook(); r.keys("7"); r.advance(5 * time.Second) },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial 7 → c1"}},
		{"pulses on the hook switch dial digits", mapPlan("(3x)"),
			func(r *phoneRig) { r.offHook(); r.pulses(3, true); r.pulses(10, true) },
			[]string{"+10ms listen", "+10ms tone dial", "+610ms quiet"}, []string{"dial 30 → c1"}},
		{"pulses on the rotary dial's contact dial digits", mapPlan("(0x)"),
			func(r *phoneRig) { r.offHook(); r.pulses(10, false); r.pulses(2, false) },
			[]string{"+10ms listen", "+10ms tone dial", "+1.31s quiet"}, []string{"dial 02 → c1"}},
		{"speed dial", device.PhoneConfig{DialPlan: speed("7", "sip:bob@pbx")},
			func(r *phoneRig) { r.offHook(); r.keys("7#") },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial sip:bob@pbx → c1"}},
		{"digits are bounded: the 33rd gives reorder", device.PhoneConfig{},
			func(r *phoneRig) { r.offHook(); r.keys(strings.Repeat("5", 33)) },
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet", "+10ms tone congestion"}, nil},
		{"digits in a call are not dialled", mapPlan("(1xxx)"),
			func(r *phoneRig) {
				r.offHook()
				r.keys("1000")
				r.state("c1", "", device.CallAnswered, 200, "")
				r.keys("5555")
			},
			[]string{"+10ms listen", "+10ms tone dial", "+10ms quiet"}, []string{"dial 1000 → c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, tt.cfg)
			tt.script(r)
			r.check(tt.handset, tt.calls, nil)
		})
	}
}

func hotline(n string, delay time.Duration) (c dialplan.Config) {
	c.Hotline, c.HotlineDelay = n, delay
	return c
}

func speed(code, to string) (c dialplan.Config) {
	c.SpeedDials = map[string]string{code: to}
	return c
}

// TestPhoneIncoming: the bell in the country's cadence, caller ID in the
// first long pause, answer, cancel, timeout, DND, busy.
func TestPhoneIncoming(t *testing.T) {
	alice := device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:alice@pbx",
		Caller: device.Caller{Identity: "sip:alice@pbx", Via: "proxy"}}
	tests := []struct {
		name    string
		cfg     device.PhoneConfig
		script  func(r *phoneRig)
		handset []string
		calls   []string
		ringer  []string
	}{
		{"US: 2s on 4s off at 20 Hz, Bell 202 caller ID, off hook answers", device.PhoneConfig{},
			func(r *phoneRig) {
				r.phone(alice)
				for range 7 {
					r.advance(time.Second)
				}
				r.offHook()
				r.state("in1", "", device.CallAnswered, 200, "")
			},
			[]string{"+3s play 600ms", "+7.01s listen"}, []string{"answer in1"},
			[]string{"+0s ringer ring 20 Hz", "+2s ringer off", "+6s ringer ring 20 Hz", "+7.01s ringer off"}},
		{"UK: 0.4/0.2/0.4/2.0 at 25 Hz, V.23 in the long pause with the line reversed", device.PhoneConfig{Country: "UK", CallerIDTiming: "after_ring"},
			func(r *phoneRig) {
				r.phone(alice)
				for range 32 {
					r.advance(100 * time.Millisecond)
				}
			},
			[]string{"+1.5s play 600ms"}, nil,
			[]string{"+0s ringer ring 25 Hz", "+400ms ringer off", "+600ms ringer ring 25 Hz", "+1s ringer off",
				"+1.5s line reversal on", "+2.1s line reversal off", "+3s ringer ring 25 Hz"}},
		{"override: 1s/1s at 50 Hz, no caller ID", device.PhoneConfig{CallerID: "off", RingHz: 50,
			RingCadence: []time.Duration{time.Second, time.Second}},
			func(r *phoneRig) { r.phone(alice); r.advance(time.Second); r.advance(time.Second) },
			nil, nil, []string{"+0s ringer ring 50 Hz", "+1s ringer off", "+2s ringer ring 50 Hz"}},
		{"the caller gives up (CANCEL): the bell stops", device.PhoneConfig{},
			func(r *phoneRig) {
				r.phone(alice)
				r.advance(time.Second)
				r.state("in1", "", device.CallEnded, 487, "CANCEL")
				r.advance(10 * time.Second)
			},
			nil, nil, []string{"+0s ringer ring 20 Hz", "+1s ringer off"}},
		{"ring timeout", device.PhoneConfig{RingTimeout: 10 * time.Second},
			func(r *phoneRig) {
				r.phone(alice)
				for range 10 {
					r.advance(time.Second)
				}
			},
			[]string{"+3s play 600ms"}, []string{"hangup in1"},
			[]string{"+0s ringer ring 20 Hz", "+2s ringer off", "+6s ringer ring 20 Hz", "+8s ringer off"}},
		{"distinctive ring: Alert-Info Bellcore-dr2 rings 0.8/0.4/0.8/4", device.PhoneConfig{CallerID: "off"},
			func(r *phoneRig) {
				ev := alice
				ev.AlertInfo = "<http://127.0.0.1/Bellcore-dr2>"
				r.phone(ev)
				for range 25 {
					r.advance(100 * time.Millisecond)
				}
			},
			nil, nil, []string{"+0s ringer ring 20 Hz", "+800ms ringer off", "+1.2s ringer ring 20 Hz", "+2s ringer off"}},
		{"distinctive ring from the config, case-insensitive", device.PhoneConfig{CallerID: "off",
			DistinctiveRings: []device.DistinctiveRing{{Match: "door", Cadence: []time.Duration{time.Second, time.Second}}}},
			func(r *phoneRig) {
				ev := alice
				ev.AlertInfo = "<urn:x>;info=Door"
				r.phone(ev)
				r.advance(time.Second)
				r.advance(time.Second)
			},
			nil, nil, []string{"+0s ringer ring 20 Hz", "+1s ringer off", "+2s ringer ring 20 Hz"}},
		{"do not disturb", device.PhoneConfig{DND: true},
			func(r *phoneRig) { r.phone(alice) }, nil, []string{"reject486 in1"}, []string{}},
		{"off hook: a call is turned away", device.PhoneConfig{},
			func(r *phoneRig) { r.offHook(); r.phone(alice) },
			[]string{"+10ms listen", "+10ms tone dial"}, []string{"reject486 in1"}, []string{}},
		{"UK default: line reversal, alerting signal and V.23 caller ID, then the first ring", device.PhoneConfig{Country: "UK"},
			func(r *phoneRig) {
				r.phone(alice)
				for range 40 {
					r.advance(50 * time.Millisecond)
				}
			},
			[]string{"+150ms play 760ms"}, nil,
			[]string{"+0s line reversal on", "+950ms line reversal off", "+1.25s ringer ring 25 Hz", "+1.65s ringer off", "+1.85s ringer ring 25 Hz"}},
		{"NL default: DTMF caller ID before the first ring", device.PhoneConfig{Country: "NL"},
			func(r *phoneRig) {
				r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:4930123@pbx",
					Caller: device.Caller{Identity: "sip:4930123@pbx", Via: "proxy"}})
				for range 40 {
					r.advance(100 * time.Millisecond)
				}
			},
			[]string{"+200ms play 1.26s"}, nil,
			[]string{"+0s line reversal on", "+1.5s line reversal off", "+1.8s ringer ring 25 Hz", "+2.8s ringer off"}},
		{"off hook before the first ring answers, caller ID cut short", device.PhoneConfig{Country: "UK"},
			func(r *phoneRig) {
				r.phone(alice)
				r.advance(200 * time.Millisecond)
				r.offHook()
			},
			[]string{"+200ms play 760ms", "+210ms listen", "+210ms quiet"}, []string{"answer in1"},
			[]string{"+0s line reversal on", "+210ms line reversal off"}},
		{"NL: DTMF caller ID after the first ring", device.PhoneConfig{Country: "NL", CallerIDTiming: "after_ring"},
			func(r *phoneRig) {
				r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:4930123@pbx",
					Caller: device.Caller{Identity: "sip:4930123@pbx", Via: "proxy"}})
				for range 4 {
					r.advance(500 * time.Millisecond)
				}
			},
			[]string{"+1.5s play 1.26s"}, nil,
			[]string{"+0s ringer ring 25 Hz", "+1s ringer off", "+1.5s line reversal on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, tt.cfg)
			tt.script(r)
			r.check(tt.handset, tt.calls, tt.ringer)
		})
	}
}

// TestPhoneEvents: what presence, messages and webhooks see of the
// phone: ringing (either way), in call, idle again; and what the status
// page shows (hook, digits so far, last number).
func TestPhoneEvents(t *testing.T) {
	r := newPhoneRig(t, mapPlan("(1xxx)"))
	r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:alice@pbx"})
	r.offHook()
	r.state("in1", "", device.CallAnswered, 200, "")
	r.state("in1", "", device.CallEnded, 0, "BYE from peer")
	r.onHook()
	r.offHook()
	r.keys("1000")
	r.state("c1", "", device.CallEnded, 486, "486 Busy Here")
	r.onHook()
	r.offHook()
	r.keys("10")
	if st, err := r.d.Status(r.ctx()); err != nil || st.Mode != "ata" || st.Hook != "off" || st.Call != "dialing" ||
		st.Dialed != "10" || st.LastDialed != "1000" {
		t.Errorf("status while dialling: %+v, %v", st, err)
	}
	r.keys("01")
	r.state("c2", "sip:1001@pbx", device.CallAnswered, 200, "")
	if st, _ := r.d.Status(r.ctx()); st.Call != "connected" || st.Peer != "sip:1001@pbx" {
		t.Errorf("status in the call: %+v", st)
	}
	r.onHook()
	if st, _ := r.d.Status(r.ctx()); st.Hook != "on" || st.Call != "idle" {
		t.Errorf("status on hook: %+v", st)
	}
	r.wantSlice("events", r.eventKinds(), []string{"rang", "answered", "call-ended", "rang", "busy", "rang", "answered", "call-ended"})
}

// TestPhoneTurnedAwayGoesToTheRefusalLog: a caller turned away (DND)
// can call again and again; the line goes through the rate-limited
// refusal log, by source.
func TestPhoneTurnedAwayGoesToTheRefusalLog(t *testing.T) {
	cfg := device.DefaultConfig()
	cfg.Mode = device.ModeATA
	cfg.Phone.DND = true
	var log refusalLog
	r := newRigWith(t, cfg, withRefusals(&log))
	for i := range 2 {
		r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: fmt.Sprint("in", i), Peer: "sip:x@y",
			Caller: device.Caller{Source: "192.0.2.9:5060"}})
	}
	r.wantSlice("refusals", log.all(), []string{
		"192.0.2.9:5060 call from sip:x@y turned away: do not disturb is on",
		"192.0.2.9:5060 call from sip:x@y turned away: do not disturb is on"})
	r.wantSlice("calls", r.ph.Calls(), []string{"reject486 in0", "reject486 in1"})
}

// TestPhoneRingerMissingLoggedOnce: a board without a ringer fails each
// ring step; a caller can make that happen, so it is logged once.
func TestPhoneRingerMissingLoggedOnce(t *testing.T) {
	cfg := device.DefaultConfig()
	cfg.Mode = device.ModeATA
	var logs lockedBuffer
	r := newRigWith(t, cfg, func(d *device.Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	r.out.Err = errors.New("no ringer")
	r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: "in1", Peer: "sip:alice@pbx"})
	for range 20 {
		r.advance(time.Second)
	}
	if n := strings.Count(logs.String(), "cannot set output"); n != 1 {
		t.Errorf("%d warnings about the ringer, want 1:\n%s", n, logs.String())
	}
}

// lockedBuffer is a log sink for several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
