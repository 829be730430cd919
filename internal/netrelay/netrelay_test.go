package netrelay

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func endpoint(t *testing.T) (*net.UDPConn, netip.AddrPort) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// receive reads packets (first byte = index) until want arrived or a
// quiet second passed after the last one.
func receive(t *testing.T, c *net.UDPConn, want int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64)
	for len(got) < want {
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			break
		}
		got = append(got, buf[:n][0])
	}
	return got
}

func TestRelayForwardsBothWays(t *testing.T) {
	t.Parallel()
	ca, a := endpoint(t)
	cb, b := endpoint(t)
	r, err := New(Config{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 20; i++ {
		ca.WriteToUDPAddrPort([]byte{byte(i)}, r.AddrForA())
	}
	got := receive(t, cb, 20)
	for i, v := range got {
		if int(v) != i {
			t.Fatalf("clean relay reordered or lost: %v", got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("got %d of 20", len(got))
	}
	// B answers to the address it saw A's packets come from.
	cb.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 8)
	if _, err := cb.WriteToUDPAddrPort([]byte{42}, r.AddrForB()); err != nil {
		t.Fatal(err)
	}
	ca.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, src, err := ca.ReadFromUDPAddrPort(buf); err != nil || buf[0] != 42 || n != 1 || src != r.AddrForA() {
		t.Fatalf("B→A: %v from %v", err, src)
	}
	// A stranger's packets are not relayed.
	cs, _ := endpoint(t)
	cs.WriteToUDPAddrPort([]byte{99}, r.AddrForA())
	ca.WriteToUDPAddrPort([]byte{100}, r.AddrForA())
	if got := receive(t, cb, 1); len(got) != 1 || got[0] != 100 {
		t.Fatalf("stranger's packet relayed: %v", got)
	}
}

func TestRelayImpairmentsAreSeededAndCounted(t *testing.T) {
	t.Parallel()
	run := func() (DirStats, []byte) {
		ca, a := endpoint(t)
		cb, b := endpoint(t)
		imp := Impairment{Delay: 5 * time.Millisecond, Jitter: 30 * time.Millisecond, Loss: 0.1, Duplicate: 0.1, Reorder: 0.1}
		r, err := New(Config{AtoB: imp, Seed: 7}, a, b)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for i := 0; i < 200; i++ {
			ca.WriteToUDPAddrPort([]byte{byte(i)}, r.AddrForA())
		}
		var st DirStats
		for st.Received < 200 { // all sent packets seen by the relay
			st, _ = r.Stats()
			time.Sleep(time.Millisecond)
		}
		want := st.Received - st.Dropped + st.Duplicated
		got := receive(t, cb, want)
		st, _ = r.Stats()
		if len(got) != want || st.Forwarded != want {
			t.Errorf("received %d, forwarded %d, want %d", len(got), st.Forwarded, want)
		}
		return st, got
	}
	s1, g1 := run()
	s2, _ := run()
	if s1 != s2 {
		t.Errorf("same seed, different decisions: %+v vs %+v", s1, s2)
	}
	if s1.Dropped < 5 || s1.Duplicated < 5 || s1.Reordered < 5 {
		t.Errorf("impairments not applied: %+v", s1)
	}
	inversions := 0
	for i := 1; i < len(g1); i++ {
		if g1[i] < g1[i-1] {
			inversions++
		}
	}
	if inversions == 0 {
		t.Error("jitter and reordering produced no reordering")
	}
}

// TestRelayManualTime: on virtual time, packets leave exactly when the
// test advances past their delay, in due order.
func TestRelayManualTime(t *testing.T) {
	t.Parallel()
	ca, a := endpoint(t)
	cb, b := endpoint(t)
	r, err := New(Config{AtoB: Impairment{Delay: 40 * time.Millisecond}, Manual: true}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 3; i++ {
		ca.WriteToUDPAddrPort([]byte{byte(i)}, r.AddrForA())
		for st, _ := r.Stats(); st.Received < i+1; st, _ = r.Stats() {
			time.Sleep(time.Millisecond)
		}
		// Packet i arrived at i×20 ms and is due at i×20+40 ms.
		if n := r.Advance(20 * time.Millisecond); (i == 0 && n != 0) || (i > 0 && n != 1) {
			t.Fatalf("at %d ms: %d packets left", (i+1)*20, n)
		}
	}
	if n := r.Advance(time.Second); n != 1 {
		t.Errorf("Advance(1s) sent %d, want the last one", n)
	}
	if got := receive(t, cb, 3); string(got) != "\x00\x01\x02" {
		t.Errorf("received %v", got)
	}
}
