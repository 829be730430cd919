package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/notify"
)

// sipPeer is a test SIP endpoint on a loopback UDP port (a phone or a
// BLF key): it sends requests from that port and hands every NOTIFY and
// MESSAGE it receives (answered 200) to a channel.
type sipPeer struct {
	client   *sipgo.Client
	port     int
	notifies chan *sip.Request
	messages chan string
}

func newSIPPeer(t *testing.T, name string) *sipPeer {
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
	p := &sipPeer{port: pc.LocalAddr().(*net.UDPAddr).Port, notifies: make(chan *sip.Request, 64),
		messages: make(chan string, 64)}
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.notifies <- req
	})
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.messages <- string(req.Body())
	})
	go func() { _ = srv.ServeUDP(pc) }()
	laddr := pc.LocalAddr().String()
	p.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientNAT(),
		sipgo.WithClientConnectionAddr(laddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); ua.Close() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if c, err := ua.TransportLayer().GetConnection("udp", laddr); err == nil && c != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sipgo did not pick up %s", laddr)
		}
	}
	return p
}

// do sends req to dest, answering one digest challenge as user.
func (p *sipPeer) do(ctx context.Context, req *sip.Request, dest, user string) (*sip.Response, error) {
	req.SetDestination(dest)
	res, err := p.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: interop.Password})
	}
	return res, err
}

// request builds a request from user@domain to target.
func (p *sipPeer) request(method sip.RequestMethod, user, domain string, target sip.Uri) *sip.Request {
	req := sip.NewRequest(method, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
	return req
}

// register binds user at Kamailio to this peer.
func (p *sipPeer) register(ctx context.Context, t *testing.T, k *interop.Kamailio, user string) {
	t.Helper()
	req := p.request(sip.REGISTER, user, k.UDP, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: k.Port})
	req.To().Address = sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: k.Port}
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	if res, err := p.do(ctx, req, k.UDP, user); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER %s: %v %v", user, err, res)
	}
}

// subscribe sends a SUBSCRIBE for event to target via dest and returns
// the request and its final answer (2xx required).
func (p *sipPeer) subscribe(ctx context.Context, t *testing.T, user, domain string, target sip.Uri, dest, event, accept string) (*sip.Request, *sip.Response) {
	t.Helper()
	req := p.request(sip.SUBSCRIBE, user, domain, target)
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Accept", accept))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := p.do(ctx, req, dest, user)
	if err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("SUBSCRIBE %s to %s: %v %v", event, target.String(), err, res)
	}
	return req, res
}

// message sends a text/plain MESSAGE from user@domain to target via dest
// and returns the final status code.
func (p *sipPeer) message(ctx context.Context, t *testing.T, user, domain string, target sip.Uri, dest, text string) int {
	t.Helper()
	req := p.request(sip.MESSAGE, user, domain, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain"))
	req.SetBody([]byte(text))
	res, err := p.do(ctx, req, dest, user)
	if err != nil {
		t.Fatalf("MESSAGE %q: %v", text, err)
	}
	return res.StatusCode
}

// nextNotify waits for the next NOTIFY.
func (p *sipPeer) nextNotify(ctx context.Context, t *testing.T) *sip.Request {
	t.Helper()
	select {
	case n := <-p.notifies:
		return n
	case <-ctx.Done():
		t.Fatal("no NOTIFY received")
	}
	return nil
}

// nextMessage waits for the next MESSAGE body.
func (p *sipPeer) nextMessage(ctx context.Context, t *testing.T) string {
	t.Helper()
	select {
	case m := <-p.messages:
		return m
	case <-ctx.Done():
		t.Fatal("no MESSAGE received")
	}
	return ""
}

// webhookSink is an HTTP receiver that accepts only correctly signed
// sipbell webhooks and hands their payloads to a channel.
type webhookSink struct {
	URL      string
	payloads chan notify.Payload
	bad      chan string // requests that failed verification
}

const webhookSecret = "webhook-secret-0123456789"

func newWebhookSink(t *testing.T) *webhookSink {
	t.Helper()
	s := &webhookSink{payloads: make(chan notify.Payload, 64), bad: make(chan string, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := notify.Verify(webhookSecret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature),
			body, time.Now(), 5*time.Minute)
		var p notify.Payload
		if err == nil {
			err = json.Unmarshal(body, &p)
		}
		if err == nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			err = fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if err != nil {
			s.bad <- err.Error()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		s.payloads <- p
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// await waits for the payload of event, failing on a badly signed request.
func (s *webhookSink) await(ctx context.Context, t *testing.T, event string) notify.Payload {
	t.Helper()
	for {
		select {
		case p := <-s.payloads:
			if p.Event == event {
				return p
			}
		case b := <-s.bad:
			t.Fatalf("webhook request failed verification: %s", b)
		case <-ctx.Done():
			t.Fatalf("no %q webhook", event)
		}
	}
}

// webhookConfig is the notify: section posting events to s, signed.
func (s *webhookSink) config(events ...string) string {
	return fmt.Sprintf("notify:\n  webhooks:\n    - url: %s\n      secret: %s\n      events: [%s]\n",
		s.URL, webhookSecret, strings.Join(events, ", "))
}
