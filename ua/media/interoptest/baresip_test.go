package interoptest

import (
	"context"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"log/slog"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/audiotest"
	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/ua/media"
)

// recSink records frames, paced like a playback device.
type recSink struct {
	clock audio.Clock
	mu    sync.Mutex
	next  time.Time
	rec   []int16
}

func (r *recSink) Write(ctx context.Context, f []int16) error {
	if r.next.IsZero() {
		r.next = r.clock.Now()
	}
	r.next = r.next.Add(audio.FrameDuration)
	if err := r.clock.WaitUntil(ctx, r.next); err != nil {
		return err
	}
	r.mu.Lock()
	r.rec = append(r.rec, f...)
	r.mu.Unlock()
	return nil
}

func (r *recSink) Close() error { return nil }

func (r *recSink) samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.rec...)
}

func sine(freq, amp float64, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return s
}

// TestBaresipCall calls a real baresip: SDP offer/answer, two-way G.711
// audio (our 1 kHz tone reaches baresip's recording, its 440 Hz tone
// reaches us), RFC 4733 both ways, BYE.
func TestBaresipCall(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true, ToneHz: 440})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cfg := media.DefaultConfig()
	cfg.RTPPortMin, cfg.RTPPortMax = 20000, 60000
	loop := netip.MustParseAddr("127.0.0.1")
	logs := &lockedBuf{}
	s, err := media.Listen(cfg, loop, media.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sdp := media.NewSDP(cfg, s.LocalAddr())
	offer, err := sdp.Offer(media.SendRecv)
	if err != nil {
		t.Fatal(err)
	}

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("sipbell-media-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go srv.ServeUDP(pc)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	// The client must send from the served socket: wait until sipgo has it.
	for c, err := ua.TransportLayer().GetConnection("udp", pc.LocalAddr().String()); err != nil || c == nil; c, err = ua.TransportLayer().GetConnection("udp", pc.LocalAddr().String()) {
		select {
		case <-ctx.Done():
			t.Fatal("sipgo never served the UDP socket")
		case <-time.After(5 * time.Millisecond):
		}
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(pc.LocalAddr().String()),
		sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientNAT())
	if err != nil {
		t.Fatal(err)
	}
	dc := sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "door", Host: "127.0.0.1", Port: port}})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { dc.ReadBye(req, tx) })
	var target sip.Uri
	if err := sip.ParseUri(b.URI, &target); err != nil {
		t.Fatal(err)
	}
	ct := sip.ContentTypeHeader("application/sdp")
	call, err := dc.Invite(ctx, target, offer, &ct)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	if err := call.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := call.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("our offer:\n%s\nbaresip's answer:\n%s", offer, call.InviteResponse.Body())
	neg, err := sdp.ParseAnswer(call.InviteResponse.Body())
	if err != nil {
		t.Fatalf("baresip's answer: %v\n%s", err, call.InviteResponse.Body())
	}
	if neg.Codec.Name != "PCMU" || neg.EventPT < 0 || neg.Direction != media.SendRecv {
		t.Errorf("negotiated %+v, want PCMU sendrecv with telephone-event", neg)
	}
	if err := s.Start(ctx, neg); err != nil {
		t.Fatal(err)
	}
	clock := audio.SystemClock()
	src := audiotest.NewSource(sine(1000, 8000, 8000))
	src.Loop = true
	sink := &recSink{clock: clock}
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(runCtx, audio.NewPacedSource(src, clock, audio.FrameDuration), sink) }()

	// Our digit reaches baresip once.
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	if err := s.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	ev, err := b.WaitEventData(ctx, "CALL_DTMF_START")
	if err != nil || ev["param"] != "5" {
		t.Fatalf("baresip's DTMF event %v, %v; want digit 5", ev, err)
	}
	// Its digit reaches us.
	if _, err := b.Command(ctx, "sndcode", "7"); err != nil {
		t.Fatal(err)
	}
	for got := false; !got; {
		select {
		case ev := <-s.Events():
			if ev.Kind == media.EventDTMF && ev.Digit == '7' && ev.Source == media.DTMFRFC4733 {
				got = true
			} else if ev.Kind == media.EventDTMF && ev.Digit != '7' {
				t.Errorf("unexpected digit %q from %v", ev.Digit, ev.Source)
			}
		case <-ctx.Done():
			t.Fatal("baresip's digit 7 did not arrive")
		}
	}
	// Let two seconds of audio flow both ways (wait on our own recording).
	for len(sink.samples()) < 2*8000 {
		select {
		case <-ctx.Done():
			t.Fatal("no audio recorded")
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := call.Bye(ctx); err != nil {
		t.Errorf("BYE: %v", err)
	}
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}

	st := s.Stats()
	t.Logf("stats %+v\nmedia log:\n%s", st, logs.String())
	if st.Received < 50 || st.Sent < 50 || st.Lost != 0 || st.Rejected != 0 {
		t.Errorf("stats %+v: want audio both ways, no loss, nothing rejected", st)
	}
	heard := sink.samples()
	tail := heard[len(heard)-8000:]
	if p := interop.ToneShare(tail, 440); p < 0.8 {
		t.Errorf("we heard 440 Hz with %.2f of the energy, want baresip's tone", p)
	}
	// baresip's sndfile finishes the WAV when its audio stream is torn
	// down, a moment after CALL_CLOSED: wait until it holds 1.5 s.
	var got []int16
	for {
		got = readDecWAV(t, b.RecordDir)
		if len(got) >= 12000 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("baresip recorded %d samples of what it heard, want 1.5 s", len(got))
		case <-time.After(20 * time.Millisecond):
		}
	}
	mid := got[len(got)/2-2000 : len(got)/2+2000]
	if p := interop.ToneShare(mid, 1000); p < 0.8 {
		t.Errorf("baresip heard 1 kHz with %.2f of the energy, want our tone", p)
	}
}

// readDecWAV reads baresip's recording of what it heard (8 kHz mono).
func readDecWAV(t *testing.T, dir string) []int16 {
	t.Helper()
	recs, _ := filepath.Glob(filepath.Join(dir, "*dec*.wav"))
	if len(recs) == 0 {
		return nil
	}
	f, err := os.Open(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := wav.NewReader(f)
	if err != nil {
		return nil // header not written yet
	}
	if rd.Format().Rate != 8000 {
		t.Fatalf("baresip recording format %+v, want 8 kHz", rd.Format())
	}
	var out []int16
	buf := make([]int16, 4096)
	for {
		n, err := rd.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil || n == 0 {
			return out
		}
	}
}

// lockedBuf collects log output from several goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
