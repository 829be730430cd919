package device_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sipbell/sipbell/device"
)

// refusalLog records what the device asked to log about strangers.
type refusalLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *refusalLog) Log(_ slog.Level, source, msg string, _ ...any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, source+" "+msg)
	return true
}

func (l *refusalLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func withRefusals(l *refusalLog) func(*device.Deps) {
	return func(d *device.Deps) { d.Refusals = l }
}

func callIn(r *rig, id, peer string, c device.Caller) {
	r.phone(device.PhoneEvent{Kind: device.PhoneIncoming, CallID: id, Peer: peer, State: device.CallIncoming, Caller: c})
}

// TestRefusedDoorCodeIsLogged: a "#" from a caller who may not open, and
// a wrong code from one who may, each leave one line saying why (once per
// call), and the relay never moves.
func TestRefusedDoorCodeIsLogged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		allowed []string
		code    string
		caller  device.Caller
		digits  string
		want    string
	}{
		{"nobody listed", nil, "#", device.Caller{Identity: "sip:bob@pbx", Via: "proxy", Source: "192.0.2.1"},
			"##", "192.0.2.1 door not opened: door.allowed is empty"},
		{"unverified", nil, "#", device.Caller{Source: "192.0.2.66"},
			"#", "192.0.2.66 door not opened: door.allowed is empty"},
		{"wrong code", []string{"alice"}, "1234#", device.Caller{Identity: "alice", Via: "digest", Source: "192.0.2.7"},
			"1111#99#", "192.0.2.7 door not opened: wrong door code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Door.Allowed, cfg.Door.Code = tc.allowed, tc.code
			var log refusalLog
			r := newRigWith(t, cfg, withRefusals(&log))
			callIn(r, "in1", "sip:x@y", tc.caller)
			r.phone(device.PhoneEvent{Kind: device.PhoneCallState, CallID: "in1", State: device.CallAnswered})
			r.dtmf("in1", tc.digits)
			r.sync()
			got := log.all()
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
				t.Errorf("refusal lines %q, want one starting %q", got, tc.want)
			}
			if p := r.out.Patterns(device.DoorRelay); len(p) != 0 {
				t.Errorf("relay moved: %v", p)
			}
		})
	}
}

// TestRefusedCallIsLogged: a caller refused by door.allowed is logged
// with the reason, under its source (which the log limits).
func TestRefusedCallIsLogged(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Door.Allowed = []string{"sip:alice@home.example"}
	var log refusalLog
	r := newRigWith(t, cfg, withRefusals(&log))
	callIn(r, "in1", "sip:alice@home.example", device.Caller{Source: "127.0.0.2"})
	r.sync()
	got := log.all()
	if len(got) != 1 || !strings.Contains(got[0], "127.0.0.2 call from sip:alice@home.example refused: the caller's identity is not verified") {
		t.Errorf("refusal lines %q", got)
	}
	r.wantSlice("calls", r.ph.Calls(), []string{"hangup in1"})
}

func TestMayOpen(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Door.Allowed = []string{"alice", "sip:bob@pbx.example"}
	d := newRig(t, cfg).d
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"alice", true},                 // a user the device knows (sip.callers)
		{"sip:alice@pbx.example", true}, // asserted by the proxy; "alice" names any host
		{"sip:bob@pbx.example", true},
		{"bob", false}, // a local bob is not the PBX's bob
		{"sip:bob@evil.example", false},
		{"", false},
	} {
		if got := d.MayOpen(device.Caller{Identity: tc.id}); got != tc.want {
			t.Errorf("MayOpen(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
