package presence

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/internal/interop"
)

// notifySeen is one NOTIFY a test endpoint received.
type notifySeen struct {
	state string // Subscription-State
	ctype string
	body  []byte
}

// sipEndpoint is a sipgo UA on a loopback UDP port that sends requests
// from that port and hands every NOTIFY (answered 200) to a channel.
type sipEndpoint struct {
	client   *sipgo.Client
	addr     *net.UDPAddr
	notify   chan notifySeen
	server   *sipgo.Server
	messages chan string // bodies of MESSAGEs received (answered 200)
}

func newSIPEndpoint(t *testing.T, name string) *sipEndpoint {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name))
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
	e := &sipEndpoint{addr: pc.LocalAddr().(*net.UDPAddr), notify: make(chan notifySeen, 32), server: srv,
		messages: make(chan string, 32)}
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		e.messages <- string(req.Body())
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		n := notifySeen{state: headerValue(req, "Subscription-State"), body: req.Body()}
		if ct := req.ContentType(); ct != nil {
			n.ctype = ct.Value()
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		select {
		case e.notify <- n:
		default:
		}
	})
	served := make(chan struct{})
	go func() { close(served); _ = srv.ServeUDP(pc) }()
	<-served
	e.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientNAT(),
		sipgo.WithClientConnectionAddr(e.addr.String()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); ua.Close() })
	waitConn(t, ua, e.addr.String())
	return e
}

// waitConn waits until sipgo has the UDP socket in its pool (as ua does).
func waitConn(t *testing.T, ua *sipgo.UserAgent, laddr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := ua.TransportLayer().GetConnection("udp", laddr); err == nil && c != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("sipgo did not pick up %s", laddr)
}

// nextNotify waits for the next NOTIFY.
func (e *sipEndpoint) nextNotify(ctx context.Context, t *testing.T) notifySeen {
	t.Helper()
	select {
	case n := <-e.notify:
		return n
	case <-ctx.Done():
		t.Fatal("no NOTIFY received")
	}
	return notifySeen{}
}

// recordingSender passes PUBLISHes on and reports each outcome.
type recordingSender struct {
	Sender
	out chan PublishResponse
}

func (r recordingSender) Publish(ctx context.Context, q PublishRequest) (PublishResponse, error) {
	res, err := r.Sender.Publish(ctx, q)
	if err != nil {
		res.Status = -1
	}
	r.out <- res
	return res, err
}

// TestPublishThroughKamailio: sipbell's publisher publishes through the
// real Kamailio presence server and a watcher subscribed there sees the
// status follow idle → ringing → in call → idle, then the removal.
func TestPublishThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entity := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}

	door := newSIPEndpoint(t, "door")
	rec := recordingSender{Sender: &SIPSender{Client: door.client, Entity: entity, Destination: k.UDP,
		User: "door", Secret: interop.Password}, out: make(chan PublishResponse, 16)}
	pub, err := NewPublisher(rec, PublisherConfig{Entity: entity.String(), Expires: 120 * time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); _ = pub.Run(pctx) }()
	defer func() { stopPub(); <-pubDone }()
	waitPublished := func() {
		t.Helper()
		select {
		case res := <-rec.out:
			if res.Status != 200 || res.ETag == "" {
				t.Fatalf("PUBLISH answered %+v\n", res)
			}
		case <-ctx.Done():
			t.Fatal("no PUBLISH response")
		}
	}
	waitPublished()

	watcher := newSIPEndpoint(t, "alice")
	subscribe(ctx, t, watcher, entity, k, 300)
	last := State(-1)
	for i, want := range []State{Idle, Ringing, InCall, Idle} {
		if i > 0 {
			pub.Set(Status{State: want})
			waitPublished()
		}
		// Kamailio may notify the last state once more (a refresh, the
		// subscription's own NOTIFY) before the new one: skip repeats.
		var n notifySeen
		for {
			n = watcher.nextNotify(ctx, t)
			p, err := ParsePIDF(n.body)
			if err != nil {
				t.Fatalf("NOTIFY %d: %v\n%s", i, err, n.body)
			}
			got := StatusOf(p)
			if got.State == want && got.Note == (Status{State: want}).Text() {
				break
			}
			if got.State != last {
				t.Fatalf("NOTIFY %d shows %+v, want %v\n%s", i, got, want, n.body)
			}
		}
		last = want
		t.Logf("NOTIFY %d (%s):\n%s", i, n.state, n.body)
		if !strings.HasPrefix(n.state, "active") {
			t.Errorf("NOTIFY %d Subscription-State %q", i, n.state)
		}
	}
	stopPub()
	<-pubDone
	if res := <-rec.out; res.Status != 200 {
		t.Errorf("removal answered %d", res.Status)
	}
	n := watcher.nextNotify(ctx, t)
	t.Logf("NOTIFY after removal (%s):\n%s", n.state, n.body)
	if p, err := ParsePIDF(n.body); err != nil || p.Open() {
		t.Errorf("after removal the watcher does not see closed presence (%v):\n%s", err, n.body)
	}
	if c := k.Log.Count("IN PUBLISH"); c < 5 {
		t.Errorf("Kamailio logged %d PUBLISH requests, want at least 5", c)
	}
}

// subscribe sends an authenticated SUBSCRIBE for presence as alice.
func subscribe(ctx context.Context, t *testing.T, w *sipEndpoint, target sip.Uri, k *interop.Kamailio, expires int) {
	t.Helper()
	req := sip.NewRequest(sip.SUBSCRIBE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: k.Port}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: w.addr.Port}})
	req.AppendHeader(sip.NewHeader("Event", "presence"))
	req.AppendHeader(sip.NewHeader("Accept", ContentTypePIDF))
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	req.SetDestination(k.UDP)
	res, err := w.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = w.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "alice", Password: interop.Password})
	}
	if err != nil {
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	if res.StatusCode != 200 && res.StatusCode != 202 {
		t.Fatalf("SUBSCRIBE answered %d", res.StatusCode)
	}
}

// TestPublishRefreshAnd412Kamailio: a refresh carries SIP-If-Match and is
// accepted; after Kamailio restarts (publications are in memory) the
// refresh gets 412 and the publisher publishes afresh.
func TestPublishRefreshAnd412Kamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entity := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	door := newSIPEndpoint(t, "door")
	rec := recordingSender{Sender: &SIPSender{Client: door.client, Entity: entity, Destination: k.UDP,
		User: "door", Secret: interop.Password}, out: make(chan PublishResponse, 16)}
	clock := clockwork.NewFakeClock()
	pub, err := NewPublisher(rec, PublisherConfig{Entity: entity.String(), Expires: 120 * time.Second}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); _ = pub.Run(pctx) }()
	defer func() { stopPub(); <-pubDone }()
	expect := func(code int) PublishResponse {
		t.Helper()
		select {
		case res := <-rec.out:
			if res.Status != code {
				t.Fatalf("PUBLISH answered %+v, want %d", res, code)
			}
			return res
		case <-ctx.Done():
			t.Fatal("no PUBLISH response")
		}
		return PublishResponse{}
	}
	first := expect(200)
	refresh := func() {
		t.Helper()
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(96 * time.Second)
	}
	refresh()
	second := expect(200)
	// The sender reports the answer before the publisher records it.
	for second.ETag != "" && pub.State().ETag != second.ETag && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	if second.ETag == "" || pub.State().ETag != second.ETag {
		t.Fatalf("refresh: etag %q, state %+v (first %q)", second.ETag, pub.State(), first.ETag)
	}
	k.Restart(t)
	refresh()
	expect(412)
	third := expect(200)
	if third.ETag == "" {
		t.Fatalf("fresh publication without etag: %+v", third)
	}
}

// TestPublishTCPKamailio: the SIPSender publishes over TCP (transport
// parameter in the Request-URI) and removes the publication.
func TestPublishTCPKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("door"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	entity := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
	s := &SIPSender{Client: client, Entity: entity, Destination: k.TCP, Transport: "tcp", User: "door", Secret: interop.Password}
	body, err := Status{State: InCall}.PIDF(entity.String(), "").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Publish(ctx, PublishRequest{Expires: time.Minute, ContentType: ContentTypePIDF, Body: body})
	if err != nil || res.Status != 200 || res.ETag == "" || res.Expires != time.Minute {
		t.Fatalf("PUBLISH over TCP: %+v %v", res, err)
	}
	if res, err := s.Publish(ctx, PublishRequest{IfMatch: res.ETag}); err != nil || res.Status != 200 {
		t.Fatalf("removal over TCP: %+v %v", res, err)
	}
	if !strings.Contains(k.Log.String(), " tcp cseq=") {
		t.Errorf("Kamailio saw no request over TCP")
	}
}

// TestRefreshKeepsBodyKamailio: a watcher that subscribes after a
// publication was refreshed sees the door open and available, with
// Kamailio's publication cache in both modes (publ_cache 2, Kamailio
// 5.6's in-memory cache, served an empty NOTIFY body to new watchers
// after a refresh without a body).
func TestRefreshKeepsBodyKamailio(t *testing.T) {
	t.Parallel()
	for _, mode := range []int{1, 2} {
		t.Run(fmt.Sprintf("publ_cache=%d", mode), func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, PublCache: mode})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			entity := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: k.Port}
			door := newSIPEndpoint(t, "door")
			rec := recordingSender{Sender: &SIPSender{Client: door.client, Entity: entity, Destination: k.UDP,
				User: "door", Secret: interop.Password}, out: make(chan PublishResponse, 16)}
			clock := clockwork.NewFakeClock()
			pub, err := NewPublisher(rec, PublisherConfig{Entity: entity.String(), Expires: 120 * time.Second}, clock, nil)
			if err != nil {
				t.Fatal(err)
			}
			pctx, stopPub := context.WithCancel(ctx)
			pubDone := make(chan struct{})
			go func() { defer close(pubDone); _ = pub.Run(pctx) }()
			defer func() { stopPub(); <-pubDone }()
			for i := range 3 { // the initial PUBLISH, then two refreshes
				if i > 0 {
					if err := clock.BlockUntilContext(ctx, 1); err != nil {
						t.Fatal(err)
					}
					clock.Advance(96 * time.Second)
				}
				select {
				case res := <-rec.out:
					if res.Status != 200 {
						t.Fatalf("PUBLISH %d answered %+v", i, res)
					}
				case <-ctx.Done():
					t.Fatalf("no answer to PUBLISH %d", i)
				}
			}
			watcher := newSIPEndpoint(t, "alice")
			subscribe(ctx, t, watcher, entity, k, 300)
			n := watcher.nextNotify(ctx, t)
			t.Logf("first NOTIFY to a new watcher (%s):\n%s", n.state, n.body)
			p, err := ParsePIDF(n.body)
			if err != nil {
				t.Fatalf("new watcher's NOTIFY body: %v\n%s", err, n.body)
			}
			if got := StatusOf(p); got.State != Idle || got.Note != "Available" {
				t.Errorf("new watcher sees %+v, want the door idle and available", got)
			}
		})
	}
}
