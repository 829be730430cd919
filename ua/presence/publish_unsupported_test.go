package presence

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
)

// logLines is a slog handler that hands each record's message (with its
// level) to a channel and counts them.
type logLines struct {
	mu   sync.Mutex
	seen []string
	ch   chan string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	l.mu.Lock()
	l.seen = append(l.seen, line)
	l.mu.Unlock()
	select {
	case l.ch <- line:
	default:
	}
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) count(part string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.seen {
		if strings.Contains(s, part) {
			n++
		}
	}
	return n
}

func (l *logLines) await(ctx context.Context, t *testing.T, part string) {
	t.Helper()
	for {
		select {
		case s := <-l.ch:
			if strings.Contains(s, part) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no log line with %q; seen %q", part, l.seen)
		}
	}
}

const notTaken = "the PBX does not take presence"

// TestPublisherStopsWhenPresenceIsNotTaken: a server that answers 404,
// 405, 489 or 501 to PUBLISH does not take presence; the publisher says so
// once and sends nothing more (no retries, no warning every backoff), even
// when the status changes, until its next Run.
func TestPublisherStopsWhenPresenceIsNotTaken(t *testing.T) {
	t.Parallel()
	for _, code := range []int{404, 405, 489, 501} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			f := newFakeSender()
			clock := clockwork.NewFakeClock()
			logs := &logLines{ch: make(chan string, 64)}
			p, err := NewPublisher(f, PublisherConfig{Entity: "sip:door@pbx.example", BackoffBase: time.Second,
				BackoffMax: time.Minute}, clock, slog.New(logs))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = p.Run(runCtx) }()
			<-f.reqs
			f.resps <- fakeResult{res: PublishResponse{Status: code}}
			logs.await(ctx, t, notTaken)
			if s := p.State(); !s.Unsupported || s.Code != code || s.Published {
				t.Errorf("state %+v, want unsupported with code %d", s, code)
			}
			for range 10 { // status changes and an hour of backoffs: nothing is sent
				p.Set(Status{State: Ringing})
				clock.Advance(6 * time.Minute)
			}
			stop()
			var after []PublishRequest
			for waiting := true; waiting; {
				select {
				case q := <-f.reqs:
					after = append(after, q)
					f.resps <- fakeResult{res: PublishResponse{Status: code}}
				case <-done:
					waiting = false
				}
			}
			if len(after) > 0 {
				t.Errorf("%d PUBLISH sent after %d: %+v", len(after), code, after)
			}
			if n, w := logs.count(notTaken), logs.count("WARN"); n != 1 || w != 1 {
				t.Errorf("%d %q lines and %d warnings, want one of each: %q", n, notTaken, w, logs.seen)
			}
		})
	}
}

// TestPublisherAgainstServerWithoutPresence runs the publisher through the
// sipgo sender against a SIP server on loopback that answers every PUBLISH
// with 404 Not Found (a PBX without a presence server): one PUBLISH goes
// out, one warning says why publishing stopped.
func TestPublisherAgainstServerWithoutPresence(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pbxUA, err := sipgo.NewUA(sipgo.WithUserAgent("pbx"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(pbxUA)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	publishes := 0
	srv.OnPublish(func(req *sip.Request, tx sip.ServerTransaction) {
		mu.Lock()
		publishes++
		mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
	})
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); pbxUA.Close() })
	pbx := pc.LocalAddr().(*net.UDPAddr)

	door := newSIPEndpoint(t, "door")
	entity := sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: pbx.Port}
	logs := &logLines{ch: make(chan string, 64)}
	pub, err := NewPublisher(&SIPSender{Client: door.client, Entity: entity, Destination: pbx.String()},
		PublisherConfig{Entity: entity.String(), BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond},
		nil, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = pub.Run(runCtx) }()
	logs.await(ctx, t, notTaken)
	pub.Set(Status{State: Ringing})
	stop()
	<-done
	mu.Lock()
	n := publishes
	mu.Unlock()
	if n != 1 {
		t.Errorf("the server got %d PUBLISH, want 1", n)
	}
	if w := logs.count("WARN"); w != 1 {
		t.Errorf("%d warnings, want 1: %q", w, logs.seen)
	}
	if s := pub.State(); !s.Unsupported || s.Code != 404 {
		t.Errorf("state %+v", s)
	}
}
