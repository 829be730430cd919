package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/presence"
)

// TestPresenceFollowsDoorStationThroughKamailio is issue 8's publish test
// with the whole binary: sipbell registers with Kamailio (presence
// modules) and publishes; a watcher subscribed through Kamailio sees the
// status follow idle → ringing → in call → idle while a visitor presses
// button 1, bob (a real baresip) answers and hangs up. A signed webhook
// gets "rang" and "answered".
func TestPresenceFollowsDoorStationThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
	hook := newWebhookSink(t)
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  auto_answer: false
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  buttons:
    - targets: [bob]
      ring_timeout: 30s
presence:
  expires: 2m
%s`, k.UDP, interop.Password, hook.config("rang", "answered")))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for m := p.await(t, "registered"); m["component"] != "door"; m = p.await(t, "registered") {
	}

	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	alice := newSIPPeer(t, "alice")
	alice.subscribe(ctx, t, "alice", k.UDP, door, k.UDP, "presence", presence.ContentTypePIDF)
	state := func(n *sip.Request) presence.Status {
		doc, err := presence.ParsePIDF(n.Body())
		if err != nil {
			t.Fatalf("NOTIFY body: %v\n%s", err, n.Body())
		}
		return presence.StatusOf(doc)
	}
	// Kamailio may notify before sipbell's first PUBLISH arrived (closed
	// or empty): wait for the published idle.
	for {
		n := alice.nextNotify(ctx, t)
		if doc, err := presence.ParsePIDF(n.Body()); err == nil && len(doc.Tuples) > 0 && state(n).State == presence.Idle {
			t.Logf("watcher sees %s:\n%s", state(n).Text(), n.Body())
			break
		}
	}
	last := presence.Idle
	expect := func(want presence.State) {
		t.Helper()
		for {
			n := alice.nextNotify(ctx, t)
			st := state(n)
			if st.State == want {
				t.Logf("watcher sees %s", st.Text())
				last = want
				return
			}
			if st.State != last { // a repeat of the last state may come in between
				t.Fatalf("watcher sees %v, want %v\n%s", st.State, want, n.Body())
			}
		}
	}

	pressed := time.Now()
	press(t, p, 1)
	expect(presence.Ringing)
	t.Logf("button press → NOTIFY ringing through Kamailio: %v", time.Since(pressed).Round(time.Millisecond))
	rang := hook.await(ctx, t, "rang")
	if rang.Button != 1 || len(rang.Targets) != 1 || rang.Targets[0] != "bob" || rang.Device != door.String() {
		t.Errorf("rang webhook: %+v", rang)
	}
	if err := bob.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	expect(presence.InCall)
	if a := hook.await(ctx, t, "answered"); !strings.Contains(a.Peer, "bob") {
		t.Errorf("answered webhook: %+v", a)
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	expect(presence.Idle)
	if c := k.Log.Count("IN PUBLISH"); c < 4 {
		t.Errorf("Kamailio logged %d PUBLISH requests, want at least 4 (idle, ringing, in call, idle)", c)
	}
	// At exit sipbell removes its publication: the watcher sees it closed.
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	for {
		n := alice.nextNotify(ctx, t)
		if doc, err := presence.ParsePIDF(n.Body()); err == nil && !doc.Open() {
			break
		} else if st := state(n); st.State != last {
			t.Fatalf("after exit the watcher sees %v\n%s", st.State, n.Body())
		}
	}
	p.noLog(t, "presence: publish failed", "core did not stop in time")
}

// press presses a call button at the simulated board's terminal.
func press(t *testing.T, p *proc, button int) {
	t.Helper()
	if _, err := fmt.Fprintf(p.stdin, "%d\n", button); err != nil {
		t.Fatal(err)
	}
}

// noLog fails when the log has any of msgs.
func (p *proc) noLog(t *testing.T, msgs ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range msgs {
		if strings.Contains(p.log.String(), m) {
			t.Errorf("sipbell logged %q", m)
		}
	}
}

// TestDialogSubscribeDirect: a BLF key subscribes to the binary itself
// for "dialog" and gets dialog-info NOTIFYs: no dialog while idle, early
// while the visitor's call rings, confirmed once bob answers, none again
// after he hangs up, and "terminated" when the key unsubscribes; a
// watcher still subscribed at exit is told (terminated) too.
func TestDialogSubscribeDirect(t *testing.T) {
	t.Parallel()
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob"})
	p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  auto_answer: false
  allow_from: [127.0.0.1]
board:
  profile: sim
device:
  buttons:
    - targets: ["%s"]
      ring_timeout: 30s
`, bob.URI))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.await(t, "sip listening")["udp"].(string)
	ap, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: ap.Port}
	key := newSIPPeer(t, "blf")
	sub, res := key.subscribe(ctx, t, "blf", "127.0.0.1", door, addr, "dialog", presence.ContentTypeDialogInfo)
	if ct := res.Contact(); ct == nil || ct.Address.Port != ap.Port {
		t.Errorf("200 to SUBSCRIBE has Contact %v, want the binary's address", ct)
	}
	var version uint32
	last := presence.DialogState("")
	// expect waits for a NOTIFY showing want; in between only the last
	// state or no dialog may show (the door's status and its call's
	// events are notified as each comes).
	expect := func(want presence.DialogState, subState string) {
		t.Helper()
		for {
			n := key.nextNotify(ctx, t)
			if ct := n.ContentType(); ct == nil || ct.Value() != presence.ContentTypeDialogInfo {
				t.Fatalf("NOTIFY content type %v", n.ContentType())
			}
			di, err := presence.ParseDialogInfo(n.Body())
			if err != nil {
				t.Fatalf("NOTIFY body: %v\n%s", err, n.Body())
			}
			if di.Version != version {
				t.Errorf("dialog-info version %d, want %d", di.Version, version)
			}
			version = di.Version + 1
			got := presence.DialogState("")
			if len(di.Dialogs) > 0 {
				got = di.Dialogs[0].State
			}
			if got == presence.Terminated {
				got = ""
			}
			h := n.GetHeader("Subscription-State")
			if got != want || h == nil || !strings.HasPrefix(h.Value(), subState) {
				if got != last && got != "" {
					t.Fatalf("NOTIFY %d shows dialog state %q, want %q\n%s", di.Version, got, want, n.Body())
				}
				continue
			}
			last = want
			t.Logf("BLF key sees dialog state %q (version %d, %s)", got, di.Version, subState)
			return
		}
	}
	expect("", "active") // idle
	pressed := time.Now()
	press(t, p, 1)
	expect(presence.Early, "active")
	t.Logf("button press → dialog NOTIFY early: %v", time.Since(pressed).Round(time.Millisecond))
	if err := bob.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	expect(presence.Confirmed, "active")
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	expect("", "active")

	// Unsubscribe within the dialog (Expires: 0): a final NOTIFY.
	un := sip.NewRequest(sip.SUBSCRIBE, door)
	un.AppendHeader(sub.From())
	to := res.To()
	un.AppendHeader(to)
	un.AppendHeader(sub.CallID())
	un.AppendHeader(&sip.CSeqHeader{SeqNo: sub.CSeq().SeqNo + 1, MethodName: sip.SUBSCRIBE})
	un.AppendHeader(sub.Contact())
	un.AppendHeader(sip.NewHeader("Event", "dialog"))
	un.AppendHeader(sip.NewHeader("Expires", "0"))
	if r, err := key.do(ctx, un, addr, "blf"); err != nil || r.StatusCode/100 != 2 {
		t.Fatalf("un-SUBSCRIBE: %v %v", err, r)
	}
	expect("", "terminated")

	// A presence watcher still subscribed when sipbell stops is told
	// before the sockets close.
	key.subscribe(ctx, t, "blf", "127.0.0.1", door, addr, "presence", presence.ContentTypePIDF)
	if n := key.nextNotify(ctx, t); !strings.Contains(string(n.Body()), "Available") {
		t.Errorf("presence NOTIFY while idle:\n%s", n.Body())
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	n := key.nextNotify(ctx, t)
	if h := n.GetHeader("Subscription-State"); h == nil || !strings.HasPrefix(h.Value(), "terminated") {
		t.Errorf("NOTIFY at exit has Subscription-State %v, want terminated", h)
	}
	p.noLog(t, "core did not stop in time")
}

// TestMessageOpensDoor: "open" from alice, in door.allowed, whose MESSAGE
// Kamailio authenticated and relayed (asserting her identity), pulses the
// door relay of the binary's simulated board, alice gets "Door opened."
// back through Kamailio, plus the configured door-opened text
// (notify.messages), and a signed webhook reports "door-opened". The same
// command sent around Kamailio with alice's From, and one from an unknown
// user, get 403 (a From proves nothing); neither pulses the relay.
func TestMessageOpensDoor(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	hook := newWebhookSink(t)
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  door:
    relay_pulse: 300ms
    allowed: [alice]
%s  messages:
    to: ["sip:alice@%s"]
    events: [door-opened]
%s`, k.UDP, interop.Password, hook.config("door-opened"), k.UDP, testProvisioning(t.TempDir())))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := p.awaitLog(ctx, t, "sip listening", nil)["udp"].(string)
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	alice := newSIPPeer(t, "alice")
	alice.register(ctx, t, k, "alice")
	domain := k.UDP // From host:port of Kamailio's users (from_uri==myself)

	{
		if c := alice.message(ctx, t, "alice", domain, door, k.UDP, "open"); c != 200 {
			t.Fatalf("open through Kamailio answered %d", c)
		}
		p.awaitOut(ctx, t, "door relay on")
		p.awaitOut(ctx, t, "door relay off")
		// The command's reply and the door-opened text, in either order.
		got := map[string]bool{alice.nextMessage(ctx, t): true, alice.nextMessage(ctx, t): true}
		if !got["Door opened."] || !got["The door was opened by sip:alice@127.0.0.1."] {
			t.Errorf("alice got %v, want the reply and the door-opened text", got)
		}
		if w := hook.await(ctx, t, "door-opened"); !strings.Contains(w.Who, "alice") {
			t.Errorf("door-opened webhook: %+v", w)
		}
	}

	// Around Kamailio: alice's From proves nothing without the proxy.
	forger := newSIPPeer(t, "mallory")
	if c := forger.message(ctx, t, "alice", domain, door, addr, "open"); c != 403 {
		t.Errorf("forged open answered %d, want 403", c)
	}
	if c := forger.message(ctx, t, "mallory", "127.0.0.1", door, addr, "open"); c != 403 {
		t.Errorf("open from an unknown user answered %d, want 403", c)
	}
	// One line for the source (the second refusal is counted, not written).
	p.awaitLog(ctx, t, "request refused: caller not allowed", map[string]string{"from": "sip:alice@"})
	// A round trip through Kamailio orders what the binary did with the
	// two refused requests before what is checked now: no pulse.
	if c := alice.message(ctx, t, "alice", domain, door, k.UDP, "status"); c != 200 {
		t.Errorf("status answered %d", c)
	}
	if r := alice.nextMessage(ctx, t); !strings.HasPrefix(r, "Door station:") {
		t.Errorf("status reply %q", r)
	}
	for more := true; more; {
		select {
		case l := <-p.out:
			if l.text == "door relay on" {
				t.Fatal("a refused open pulsed the relay")
			}
		case pl := <-hook.payloads:
			t.Fatalf("a refused open was reported: %+v", pl)
		default:
			more = false
		}
	}
}

// TestPresenceOff: with max_watchers 0 and commands off, sipbell answers
// SUBSCRIBE and MESSAGE with 405 and does not announce them, while the
// default configuration takes both.
func TestPresenceOff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := "sip:\n  listen: 127.0.0.1:0\n  user: door\n  allow_from: [127.0.0.1]\n"
	for _, tc := range []struct {
		name, config string
		want         int
	}{
		{"off", base + "presence:\n  max_watchers: 0\n  commands: false\n", 405},
		{"default", base, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startWith(t, nil, tc.config)
			addr := p.await(t, "sip listening")["udp"].(string)
			ap, err := net.ResolveUDPAddr("udp", addr)
			if err != nil {
				t.Fatal(err)
			}
			door := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: ap.Port}
			peer := newSIPPeer(t, "phone")
			sub := peer.request(sip.SUBSCRIBE, "phone", "127.0.0.1", door)
			sub.AppendHeader(sip.NewHeader("Event", "dialog"))
			res, err := peer.do(ctx, sub, addr, "phone")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.StatusCode; got != tc.want {
				t.Errorf("SUBSCRIBE answered %d, want %d", got, tc.want)
			}
			self := fmt.Sprintf("127.0.0.1:%d", peer.port) // the reply comes back here
			if c := peer.message(ctx, t, "phone", self, door, addr, "help"); c != tc.want {
				t.Errorf("MESSAGE answered %d, want %d", c, tc.want)
			}
			opt := peer.request(sip.OPTIONS, "phone", "127.0.0.1", door)
			res, err = peer.do(ctx, opt, addr, "phone")
			if err != nil {
				t.Fatal(err)
			}
			allow := res.GetHeader("Allow")
			announced := allow != nil && strings.Contains(allow.Value(), "SUBSCRIBE") && strings.Contains(allow.Value(), "MESSAGE")
			if announced != (tc.want == 200) {
				t.Errorf("OPTIONS Allow: %v", allow)
			}
			if tc.want == 200 {
				if r := peer.nextMessage(ctx, t); !strings.HasPrefix(r, "Commands:") {
					t.Errorf("reply to help: %q", r)
				}
			}
			if code := p.stop(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}
