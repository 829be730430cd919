package media

import (
	"net/netip"
	"testing"
)

// TestJitterRingReusedStartsEmpty checks that a slot ring given back by
// an ended call and taken by the next holds none of the old call's audio:
// the new buffer plays silence until its own packets arrive, then only
// those.
func TestJitterRingReusedStartsEmpty(t *testing.T) {
	for len(slotPool) > 0 { // other tests' rings: start from a known pool
		<-slotPool
	}
	old := newJitterBuffer(20, 200)
	loud := make([]int16, frameLen)
	for i := range loud {
		loud[i] = 8000
	}
	out := make([]int16, frameLen)
	for i := range 20 {
		old.push(uint32(i*frameLen), loud)
	}
	old.pop(out)
	ring := old.slots
	if ring == nil {
		t.Fatal("an anchored buffer holds no ring")
	}
	old.release()
	if old.slots != nil || old.anchored {
		t.Fatal("a released buffer still holds its ring")
	}

	tests := []struct {
		name string
		ts   uint32 // the new call's first timestamp
	}{
		{"same timestamps", 0},
		{"other timestamps", 123456},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJitterBuffer(20, 200)
			if j.slots != nil {
				t.Fatal("a new buffer took a ring before any packet")
			}
			j.pop(out)
			if !silent(out) {
				t.Fatal("a new buffer played audio before any packet")
			}
			quiet := make([]int16, frameLen)
			for i := range 10 {
				quiet[0] = int16(i + 1) // marks the packet, well below loud
				j.push(tt.ts+uint32(i*frameLen), quiet)
			}
			if j.slots != ring {
				t.Fatal("the new call did not reuse the ended call's ring")
			}
			for range 30 {
				j.pop(out)
				for _, v := range out {
					if v >= 8000 {
						t.Fatal("the new call played the old call's audio")
					}
				}
			}
			j.release()
		})
	}
}

func silent(pcm []int16) bool {
	for _, v := range pcm {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestSessionCloseReturnsRing checks that a call's media, once closed,
// gives its jitter ring back (so the next call allocates none) and keeps
// the counters Stats reports.
func TestSessionCloseReturnsRing(t *testing.T) {
	s := listen(t, testConfig(), Options{})
	s.mu.Lock()
	s.rx.jb.push(0, make([]int16, frameLen))
	had := s.rx.jb.slots != nil
	s.mu.Unlock()
	if !had {
		t.Fatal("a pushed packet took no ring")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.rx.jb.slots != nil {
		t.Fatal("Close kept the ring")
	}
	if st := s.Stats(); st.DelayMS == 0 {
		t.Errorf("Stats after Close: delay %d ms", st.DelayMS)
	}
}

// BenchmarkCallSession is the media of one call: bind, negotiate, a
// second of audio received, close. B/op is what a call allocates; the
// jitter ring comes from the pool after the first call.
//
//	go test -run '^$' -bench CallSession -benchmem ./ua/media
func BenchmarkCallSession(b *testing.B) {
	cfg := testConfig()
	pkt := make([]byte, 160)
	out := make([]int16, frameLen)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Listen(cfg, netip.MustParseAddr("127.0.0.1"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.mu.Lock()
		for i := range 50 {
			s.rx.push(uint16(i), uint32(i*160), pcmuNeg(netip.AddrPort{}).Codec, pkt, uint32(i*160))
			s.rx.pop(out)
		}
		s.mu.Unlock()
		s.Close()
	}
}
