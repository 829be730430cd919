package media

import (
	"context"
	"net"
	"testing"
)

// TestDTMFOnlyFromMediaPeer: RFC 4733 digits open doors, so they count
// only from the call's media peer (the address the SDP named), never from
// another sender to the RTP port, whether it sends before the peer does
// (and would otherwise have RTP latched to it) or after.
func TestDTMFOnlyFromMediaPeer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		order  []string // who sends a key press, in turn
		digits string   // what the session must report
	}{
		{"stranger before the peer", []string{"stranger#", "peer1", "stranger9"}, "1"},
		{"stranger after the peer", []string{"peer5", "stranger#", "peer6"}, "56"},
		{"stranger only", []string{"stranger#", "stranger0"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			peer := newRawPeer(t)
			stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stranger.Close() })
			s := listen(t, testConfig(), Options{})
			if err := s.Start(context.Background(), pcmuNeg(peer.addr)); err != nil {
				t.Fatal(err)
			}
			seq, ts, sent := map[string]uint16{}, map[string]uint32{}, 0
			press := func(who string, digit rune) {
				code, _ := digitEvent(digit)
				ts[who] += 1600
				for i, end := range []bool{false, false, true, true} {
					b := make([]byte, 4)
					telephoneEvent{Code: code, End: end, Volume: 10, Duration: uint16(160 * (i + 1))}.put(b)
					pkt := rtpPacket(t, 101, seq[who], ts[who], map[string]uint32{"peer": 7, "stranger": 66}[who], i == 0, b)
					seq[who]++
					if who == "peer" {
						peer.send(t, s.LocalAddr(), pkt)
					} else if _, err := stranger.WriteToUDPAddrPort(pkt, s.LocalAddr()); err != nil {
						t.Fatal(err)
					}
					sent++
				}
				// Wait until the session has taken every packet in (counted as
				// received or rejected) before the next sender's turn.
				waitFor(t, "packets taken in", func() bool {
					st := s.Stats()
					return int(st.Received+st.Rejected) >= sent
				})
			}
			for _, p := range tc.order {
				who, digit := p[:len(p)-1], rune(p[len(p)-1])
				press(who, digit)
			}
			var got []rune
			for done := false; !done; {
				select {
				case e := <-s.Events():
					if e.Kind == EventDTMF {
						got = append(got, e.Digit)
					}
				default:
					done = true
				}
			}
			if string(got) != tc.digits {
				t.Errorf("digits %q, want %q (stats %+v)", string(got), tc.digits, s.Stats())
			}
		})
	}
}

// TestRelatchKeepsPeerAudio: a stranger that sent first does not keep the
// peer's stream out: the peer's packets from the address the SDP named
// are received, and our audio goes back to the peer.
func TestRelatchKeepsPeerAudio(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stranger.Close() })
	s := listen(t, testConfig(), Options{})
	if err := s.Start(context.Background(), pcmuNeg(peer.addr)); err != nil {
		t.Fatal(err)
	}
	audio := make([]byte, 160)
	if _, err := stranger.WriteToUDPAddrPort(rtpPacket(t, 0, 1, 160, 66, true, audio), s.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stranger's packet", func() bool { return s.Stats().Received == 1 })
	peer.send(t, s.LocalAddr(), rtpPacket(t, 0, 1, 160, 7, true, audio))
	waitFor(t, "the peer's packet", func() bool { return s.Stats().Received+s.Stats().Rejected == 2 })
	if st := s.Stats(); st.Rejected != 0 {
		t.Errorf("the peer's packet was rejected after a stranger sent first: %+v", st)
	}
	if err := s.WriteFrame(make([]int16, frameLen)); err != nil {
		t.Fatal(err)
	}
	if b := peer.read(t); len(b) < 12 {
		t.Errorf("the peer got %d bytes, want an RTP packet", len(b))
	}
	s.mu.Lock()
	latched := s.peer.rtpAddr
	s.mu.Unlock()
	if latched != peer.addr {
		t.Errorf("latched to %v, want the peer %v", latched, peer.addr)
	}
}
