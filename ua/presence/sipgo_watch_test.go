package presence

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// doorSide is a sipgo UA on loopback answering SUBSCRIBE with a Manager.
type doorSide struct {
	m    *Manager
	addr *net.UDPAddr
	sent chan error // outcome of each NOTIFY
}

func newDoorSide(t *testing.T, cfg ManagerConfig) *doorSide {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("door"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().(*net.UDPAddr)
	cfg.Entity = fmt.Sprintf("sip:door@%s", addr)
	m, err := NewManager(cfg, func(r SubscribeRequest) bool { return r.Source.Addr().IsLoopback() }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientNAT(),
		sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 32)
	w := &SIPWatchers{Manager: m, Sent: func(_ Notification, err error) { sent <- err },
		Client: func(string) (*sipgo.Client, error) { return client, nil },
		Contact: func(string) sip.ContactHeader {
			return sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: addr.Port}}
		}}
	srv.OnSubscribe(w.OnSubscribe)
	go func() { _ = srv.ServeUDP(pc) }()
	waitConn(t, ua, addr.String())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
		pc.Close()
		ua.Close()
	})
	return &doorSide{m: m, addr: addr, sent: sent}
}

// subscribeDirect sends SUBSCRIBE from w to the door; toTag "" starts a
// subscription.
func subscribeDirect(ctx context.Context, t *testing.T, w *sipEndpoint, door *doorSide, event, callID, fromTag, toTag string, cseq uint32, expires int) *sip.Response {
	t.Helper()
	target := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: door.addr.Port}
	req := sip.NewRequest(sip.SUBSCRIBE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", fromTag)
	to := &sip.ToHeader{Address: target, Params: sip.NewParams()}
	if toTag != "" {
		to.Params.Add("tag", toTag)
	}
	cid := sip.CallIDHeader(callID)
	ex := fmt.Sprint(expires)
	if expires < 0 {
		ex = "soon"
	}
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: w.addr.Port}})
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Expires", ex))
	res, err := w.client.Do(ctx, req)
	if err != nil {
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	return res
}

// TestSIPWatchersDialogLoopback: a BLF-style dialog subscription over
// real SIP on loopback gets 200 with a To tag, then NOTIFYs whose
// dialog-info follows idle → early → confirmed → idle, and a final
// terminated NOTIFY after un-subscribing.
func TestSIPWatchersDialogLoopback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := newSIPEndpoint(t, "alice")
	door := newDoorSide(t, ManagerConfig{})
	res := subscribeDirect(ctx, t, w, door, "dialog", "blf-1", "ft1", "", 1, 600)
	toTag, ok := res.To().Params.Get("tag")
	if res.StatusCode != 200 || !ok || headerValue(res, "Expires") != "600" || res.Contact() == nil {
		t.Fatalf("SUBSCRIBE answered %s", res.String())
	}
	var states []string
	for i, set := range []func(){func() {}, func() { door.m.Set(Status{State: Ringing}) },
		func() { door.m.Set(Status{State: InCall}) }, func() { door.m.Set(Status{State: Idle}) }} {
		set()
		n := w.nextNotify(ctx, t)
		di, err := ParseDialogInfo(n.body)
		if err != nil || n.ctype != ContentTypeDialogInfo {
			t.Fatalf("NOTIFY %d: %v (%s)\n%s", i, err, n.ctype, n.body)
		}
		if di.Version != uint32(i) {
			t.Errorf("NOTIFY %d version %d", i, di.Version)
		}
		st := "idle"
		if len(di.Dialogs) > 0 {
			st = string(di.Dialogs[0].State)
		}
		states = append(states, st)
		if n.state != "active;expires=600" && n.state != "active;expires=599" {
			t.Errorf("NOTIFY %d Subscription-State %q", i, n.state)
		}
	}
	if got := fmt.Sprint(states); got != "[idle early confirmed idle]" {
		t.Errorf("dialog states %s", got)
	}
	res = subscribeDirect(ctx, t, w, door, "dialog", "blf-1", "ft1", toTag, 2, 0)
	if res.StatusCode != 200 {
		t.Fatalf("un-SUBSCRIBE answered %d", res.StatusCode)
	}
	if n := w.nextNotify(ctx, t); n.state != "terminated;reason=timeout" {
		t.Errorf("final NOTIFY Subscription-State %q", n.state)
	}
	if res := subscribeDirect(ctx, t, w, door, "dialog", "blf-1", "ft1", toTag, 3, 600); res.StatusCode != 481 {
		t.Errorf("refresh of an ended subscription answered %d, want 481", res.StatusCode)
	}
	if res := subscribeDirect(ctx, t, w, door, "message-summary", "mwi-1", "ft2", "", 1, 600); res.StatusCode != 489 || headerValue(res, "Allow-Events") == "" {
		t.Errorf("unknown package answered %s", res.String())
	}
}

func TestSIPWatchersRefusals(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := newSIPEndpoint(t, "alice") // first: closed after the door's final NOTIFY
	door := newDoorSide(t, ManagerConfig{MinExpires: time.Minute, MaxSubscriptions: 1})
	if res := subscribeDirect(ctx, t, w, door, "presence", "r1", "a", "", 1, -1); res.StatusCode != 400 {
		t.Errorf("Expires: soon answered %d", res.StatusCode)
	}
	if res := subscribeDirect(ctx, t, w, door, "presence", "r2", "b", "", 1, 10); res.StatusCode != 423 || headerValue(res, "Min-Expires") != "60" {
		t.Errorf("brief expiry answered %s", res.String())
	}
	if res := subscribeDirect(ctx, t, w, door, "presence", "r3", "c", "", 1, 600); res.StatusCode != 200 {
		t.Fatalf("first subscription answered %d", res.StatusCode)
	}
	w.nextNotify(ctx, t)
	if res := subscribeDirect(ctx, t, w, door, "presence", "r4", "d", "", 1, 600); res.StatusCode != 503 || headerValue(res, "Retry-After") == "" {
		t.Errorf("subscription beyond the bound answered %s", res.String())
	}
}

// waitSent waits for the next NOTIFY to be answered 2xx, failing early
// when the peer exits.
func (d *doorSide) waitSent(ctx context.Context, t *testing.T, peerDone <-chan interop.SippResult) {
	t.Helper()
	select {
	case err := <-d.sent:
		if err != nil {
			t.Fatalf("NOTIFY failed: %v", err)
		}
	case r := <-peerDone:
		t.Fatalf("sipp ended early: exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	case <-ctx.Done():
		t.Fatal("no NOTIFY answered")
	}
}

// TestSIPWatchersSippBLF: sipp plays a BLF key subscribed straight to the
// door station and checks every dialog-info NOTIFY it gets.
func TestSIPWatchersSippBLF(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	door := newDoorSide(t, ManagerConfig{})
	p := interop.StartSipp(t, interop.SippOptions{Scenario: "testdata/sipp/blf_watcher.xml",
		Remote: door.addr.String(), Service: "door", Timeout: 15 * time.Second})
	done := make(chan interop.SippResult, 1)
	go func() { done <- p.Wait(ctx) }()
	door.waitSent(ctx, t, done)
	for _, st := range []State{Ringing, InCall, Idle} {
		door.m.Set(Status{State: st})
		door.waitSent(ctx, t, done)
	}
	door.waitSent(ctx, t, done) // the final NOTIFY after sipp's un-SUBSCRIBE
	if r := <-done; r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
}
