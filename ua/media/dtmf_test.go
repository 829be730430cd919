package media

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/audio/audiotest"
	"github.com/sipbell/sipbell/audio/dtmf"
)

// TestDTMFSendPackets checks the RFC 4733 packet sequence for one digit:
// start with marker, continuations with growing duration, three end
// packets with the same timestamp and duration, then audio again.
func TestDTMFSendPackets(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	cfg := testConfig()
	cfg.DTMFDuration = 100 * time.Millisecond
	s := listen(t, cfg, Options{})
	s.Start(context.Background(), pcmuNeg(peer.addr))
	frame := make([]int16, frameLen)
	var h rtp.Header
	s.WriteFrame(frame)
	rtpPayload(peer.read(t), &h)
	audioTS := h.Timestamp
	if err := s.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	type pkt struct {
		marker bool
		ts     uint32
		ev     telephoneEvent
	}
	var evs []pkt
	for i := 0; i < 7; i++ { // 100 ms = 5 frames, the last two repeating the end
		s.WriteFrame(frame)
		p, _ := rtpPayload(peer.read(t), &h)
		if h.PayloadType != 101 {
			t.Fatalf("packet %d has PT %d during the digit", i, h.PayloadType)
		}
		e, _ := parseEvent(p)
		evs = append(evs, pkt{h.Marker, h.Timestamp, e})
	}
	if !evs[0].marker || evs[0].ts != audioTS+160 || evs[0].ev.Code != 5 || evs[0].ev.Duration != 160 || evs[0].ev.End {
		t.Errorf("start packet %+v", evs[0])
	}
	for i, e := range evs {
		if e.ts != evs[0].ts {
			t.Errorf("packet %d timestamp %d, want the event's %d", i, e.ts, evs[0].ts)
		}
		wantDur, wantEnd := uint16(160*(i+1)), false
		if i >= 4 {
			wantDur, wantEnd = 800, true
		}
		if i > 0 && (e.marker || e.ev.Duration != wantDur || e.ev.End != wantEnd) {
			t.Errorf("packet %d %+v, want duration %d end %v", i, e, wantDur, wantEnd)
		}
	}
	if n := len(evs); !evs[n-1].ev.End || !evs[n-2].ev.End || !evs[n-3].ev.End || evs[n-4].ev.End {
		t.Errorf("want exactly three end packets at the tail: %+v", evs[n-4:])
	}
	s.WriteFrame(frame)
	rtpPayload(peer.read(t), &h)
	if h.PayloadType != 0 || h.Timestamp != audioTS+8*160 {
		t.Errorf("after the digit: PT %d ts %d, want audio at %d", h.PayloadType, h.Timestamp, audioTS+8*160)
	}
	if err := s.SendDTMF("5x"); !errors.Is(err, ErrBadDTMF) {
		t.Errorf("bad digit: %v", err)
	}
}

// TestDTMFReceive sends events the way real peers do, with lost start
// packets, repeated ends and reordering: one digit per event.
func TestDTMFReceive(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	s.Start(context.Background(), pcmuNeg(peer.addr))
	ev := func(code uint8, end bool, dur uint16) []byte {
		b := make([]byte, 4)
		telephoneEvent{Code: code, End: end, Volume: 10, Duration: dur}.put(b)
		return b
	}
	seq := uint16(100)
	send := func(ts uint32, marker bool, payload []byte) {
		peer.send(t, s.LocalAddr(), rtpPacket(t, 101, seq, ts, 9, marker, payload))
		seq++
	}
	// '1': complete event; '2': start lost; '#': only end packets; then
	// a late continuation of '1' and a repeated '#' end.
	send(1000, true, ev(1, false, 160))
	send(1000, false, ev(1, false, 320))
	send(1000, false, ev(1, true, 480))
	send(1000, false, ev(1, true, 480))
	send(1000, false, ev(1, true, 480))
	send(3000, false, ev(2, false, 320))
	send(3000, false, ev(2, true, 800))
	send(5000, false, ev(11, true, 800))
	send(5000, false, ev(11, true, 800))
	send(1000, false, ev(1, false, 320))
	send(5000, false, ev(11, true, 800))
	send(7000, true, ev(1, false, 160)) // the same key again: a new press
	var got []rune
	for len(got) < 4 {
		select {
		case e := <-s.Events():
			got = append(got, e.Digit)
		case <-time.After(5 * time.Second):
			t.Fatalf("digits %q, want 4", string(got))
		}
	}
	if string(got) != "12#1" {
		t.Errorf("digits %q, want \"12#1\"", string(got))
	}
	waitFor(t, "all packets", func() bool { return s.Stats().Received == 12 })
	select {
	case e := <-s.Events():
		t.Errorf("extra event %+v", e)
	default:
	}
	if st := s.Stats(); st.Lost != 0 {
		t.Errorf("event packets counted as lost: %+v", st)
	}
}

func TestParseDTMFInfo(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		digit    rune
		dur      time.Duration
		bad      bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', 160 * time.Millisecond, false},
		{"Application/DTMF-Relay; charset=x", "signal= #\nduration=250", '#', 250 * time.Millisecond, false},
		{"application/dtmf-relay", "Signal=10\r\nDuration=100", '*', 100 * time.Millisecond, false},
		{"application/dtmf-relay", "Signal=d\r\n", 'D', 0, false},
		{"application/dtmf", "7", '7', 0, false},
		{"application/dtmf", " 11 \r\n", '#', 0, false},
		{"application/dtmf-relay", "Duration=100", 0, 0, true},
		{"application/dtmf-relay", "Signal=55", 0, 0, true},
		{"application/dtmf", "x", 0, 0, true},
		{"text/plain", "5", 0, 0, true},
	} {
		d, dur, err := ParseDTMFInfo(tc.ct, []byte(tc.body))
		if tc.bad {
			if !errors.Is(err, ErrBadDTMF) {
				t.Errorf("%q %q: err %v, want ErrBadDTMF", tc.ct, tc.body, err)
			}
			continue
		}
		if err != nil || d != tc.digit || dur != tc.dur {
			t.Errorf("%q %q: %q %v %v, want %q %v", tc.ct, tc.body, d, dur, err, tc.digit, tc.dur)
		}
	}
}

func TestDTMFMerger(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type in struct {
		src   DTMFSource
		digit rune
		ms    int
	}
	for _, tc := range []struct {
		name string
		ins  []in
		want string
	}{
		{"rfc4733+info", []in{{DTMFRFC4733, '1', 0}, {DTMFInfo, '1', 30}, {DTMFRFC4733, '2', 400}, {DTMFInfo, '2', 420}}, "12"},
		{"info first", []in{{DTMFInfo, '5', 0}, {DTMFRFC4733, '5', 20}, {DTMFInband, '5', 60}}, "5"},
		{"same key twice", []in{{DTMFRFC4733, '7', 0}, {DTMFRFC4733, '7', 300}, {DTMFInband, '7', 50}, {DTMFInband, '7', 350}}, "77"},
		{"outside window", []in{{DTMFRFC4733, '9', 0}, {DTMFInfo, '9', 2500}}, "99"},
		{"different digits", []in{{DTMFRFC4733, '1', 0}, {DTMFInband, '2', 10}}, "12"},
		{"inband only", []in{{DTMFInband, '#', 0}, {DTMFInband, '#', 200}}, "##"},
	} {
		m := NewDTMFMerger(time.Second)
		var got []rune
		for _, i := range tc.ins {
			if m.Add(i.src, i.digit, at(i.ms)) {
				got = append(got, i.digit)
			}
		}
		if string(got) != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, string(got), tc.want)
		}
	}
}

// TestInbandDTMFMerged: a digit played as tones in the audio is detected
// by the playout loop, and the same key press arriving by INFO as well is
// delivered once.
func TestInbandDTMFMerged(t *testing.T) {
	t.Parallel()
	a, b := listen(t, testConfig(), Options{}), listen(t, testConfig(), Options{})
	a.Start(context.Background(), pcmuNeg(b.LocalAddr()))
	b.Start(context.Background(), pcmuNeg(a.LocalAddr()))
	play := make(chan struct{})
	sink := audiotest.NewSink()
	sink.Ticks = play
	src := audiotest.NewSource(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, src, sink) }()
	gen, err := dtmf.NewGenerator("7", 100*time.Millisecond, 100*time.Millisecond, dtmf.DefaultGain)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, frameLen)
	for i := 0; i < 10; i++ {
		if err := gen.Read(ctx, frame); err != nil {
			t.Fatal(err)
		}
		a.WriteFrame(frame)
		waitFor(t, "packet", func() bool { return b.Stats().Received == uint64(i+1) })
		play <- struct{}{}
	}
	select {
	case e := <-b.Events():
		if e.Kind != EventDTMF || e.Digit != '7' || e.Source != DTMFInband {
			t.Fatalf("event %+v, want in-band 7", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-band digit not detected")
	}
	if err := b.ReceiveInfoDigit('7'); err != nil { // the same press, also by INFO
		t.Fatal(err)
	}
	if err := b.ReceiveInfoDigit('8'); err != nil {
		t.Fatal(err)
	}
	if e := <-b.Events(); e.Digit != '8' || e.Source != DTMFInfo {
		t.Errorf("event %+v, want INFO 8 (the INFO 7 is a copy)", e)
	}
	if err := b.ReceiveInfoDigit('x'); !errors.Is(err, ErrBadDTMF) {
		t.Errorf("bad INFO digit: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
