package sipdns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

func testZone() zone {
	ip := netip.MustParseAddr
	return zone{ttl: 60, soa: 20,
		a: map[string][]netip.Addr{
			"pbx.test.": {ip("127.0.0.1")}, "a.pbx.test.": {ip("127.0.0.2")},
			"b.pbx.test.": {ip("127.0.0.3"), ip("::1")}, "plain.test.": {ip("127.0.0.9")},
			"declined.test.": {ip("127.0.0.7")},
		},
		srv: map[string][]srvRecord{
			"_sip._udp.pbx.test.":      {{20, 0, 5080, "b.pbx.test."}, {10, 60, 5070, "a.pbx.test."}},
			"_sip._tcp.pbx.test.":      {{10, 1, 5071, "a.pbx.test."}},
			"_sips._tcp.pbx.test.":     {{10, 1, 5061, "a.pbx.test."}},
			"_sip._tcp.nonaptr.test.":  {{1, 1, 5090, "a.pbx.test."}},
			"_sip._udp.nowhere.test.":  {{1, 1, 5090, "nosuch.pbx.test."}},
			"_sip._tcp.nowhere.test.":  {{1, 1, 5091, "a.pbx.test."}},
			"_sip._udp.declined.test.": {{0, 0, 0, "."}},
		},
		naptr: map[string][]naptrRecord{"pbx.test.": {
			{Order: 20, Preference: 50, Flags: "s", Services: "SIP+D2T", Rep: "_sip._tcp.pbx.test."},
			{Order: 10, Preference: 50, Flags: "S", Services: "SIP+D2U", Rep: "_sip._udp.pbx.test."},
			{Order: 5, Preference: 50, Flags: "s", Services: "SIP+D2W", Rep: "_sip._ws.pbx.test."},
			{Order: 30, Preference: 50, Flags: "s", Services: "SIPS+D2T", Rep: "_sips._tcp.pbx.test."},
		}},
	}
}

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestResolver(t *testing.T, f *fakeDNS, size int) (*Resolver, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1e9, 0)}
	r, err := New(Options{Server: f.addr, Timeout: 500 * time.Millisecond, CacheSize: size, Now: c.now,
		Intn: func(int) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

func hopStrings(hs []Hop) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Transport+" "+h.Addr.String())
	}
	return out
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := startFake(t, testZone())
	tests := []struct {
		name    string
		q       Query
		want    []string
		err     error
		noNAPTR bool // the NAPTR of q.Host must not be asked
	}{
		{"ip address", Query{Host: "127.0.0.5"}, []string{"udp 127.0.0.5:5060"}, nil, true},
		{"ipv6 sips", Query{Host: "[::1]", Secure: true, Supported: []string{"udp", "tls"}}, []string{"tls [::1]:5061"}, nil, true},
		{"explicit port skips SRV", Query{Host: "pbx.test", Port: 5099}, []string{"udp 127.0.0.1:5099"}, nil, true},
		{"naptr then srv", Query{Host: "pbx.test"},
			[]string{"udp 127.0.0.2:5070", "udp 127.0.0.3:5080", "udp [::1]:5080", "tcp 127.0.0.2:5071"}, nil, false},
		{"naptr filtered to supported", Query{Host: "pbx.test", Supported: []string{"tcp"}}, []string{"tcp 127.0.0.2:5071"}, nil, false},
		{"explicit transport skips NAPTR", Query{Host: "pbx.test", Transport: "tcp"}, []string{"tcp 127.0.0.2:5071"}, nil, true},
		{"sips", Query{Host: "pbx.test", Secure: true, Supported: []string{"udp", "tcp", "tls"}}, []string{"tls 127.0.0.2:5061"}, nil, false},
		{"srv without naptr", Query{Host: "nonaptr.test"}, []string{"tcp 127.0.0.2:5090"}, nil, false},
		{"srv target unknown", Query{Host: "nowhere.test"}, []string{"tcp 127.0.0.2:5091"}, nil, false},
		{"address only", Query{Host: "plain.test"}, []string{"udp 127.0.0.9:5060"}, nil, false},
		{"address only tls", Query{Host: "plain.test", Transport: "tls", Supported: []string{"udp", "tls"}}, []string{"tls 127.0.0.9:5061"}, nil, true},
		{"srv target dot: no service", Query{Host: "declined.test", Transport: "udp"}, nil, ErrNotFound, true},
		{"no such name", Query{Host: "nosuch.test"}, nil, ErrNotFound, false},
		{"unsupported transport", Query{Host: "pbx.test", Transport: "ws"}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newTestResolver(t, f, 0)
			before := f.count("udp " + absolute(tc.q.Host) + " NAPTR")
			hops, err := r.Resolve(context.Background(), tc.q)
			if tc.want == nil {
				if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
					t.Fatalf("Resolve(%+v) = %v, %v; want error %v", tc.q, hopStrings(hops), err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(hopStrings(hops), tc.want) {
				t.Fatalf("Resolve(%+v) = %v, %v; want %v", tc.q, hopStrings(hops), err, tc.want)
			}
			if tc.noNAPTR && f.count("udp "+absolute(tc.q.Host)+" NAPTR") != before {
				t.Errorf("NAPTR of %s asked, want skipped", tc.q.Host)
			}
		})
	}
}

func TestResolveCachesForTTL(t *testing.T) {
	t.Parallel()
	f := startFake(t, testZone())
	r, c := newTestResolver(t, f, 0)
	ctx := context.Background()
	for _, step := range []struct {
		advance time.Duration
		host    string
		key     string
		want    int // queries the server has seen for key
	}{
		{0, "pbx.test", "udp pbx.test. NAPTR", 1},
		{59 * time.Second, "pbx.test", "udp pbx.test. NAPTR", 1}, // TTL 60
		{time.Second, "pbx.test", "udp pbx.test. NAPTR", 2},
		{0, "nosuch.test", "udp nosuch.test. A", 1},
		{19 * time.Second, "nosuch.test", "udp nosuch.test. A", 1}, // negative TTL: SOA minimum 20
		{time.Second, "nosuch.test", "udp nosuch.test. A", 2},
	} {
		c.add(step.advance)
		_, _ = r.Resolve(ctx, Query{Host: step.host})
		if got := f.count(step.key); got != step.want {
			t.Fatalf("after +%v: %q asked %d times, want %d", step.advance, step.key, got, step.want)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	f := startFake(t, testZone())
	r, _ := newTestResolver(t, f, 4)
	for i := range 10 {
		_, _ = r.Resolve(context.Background(), Query{Host: fmt.Sprintf("h%d.test", i)})
	}
	if n := r.cache.len(); n > 4 {
		t.Fatalf("cache holds %d answers, want at most 4", n)
	}
}

func TestTruncatedAnswerAskedOverTCP(t *testing.T) {
	t.Parallel()
	z := testZone()
	z.tc = map[string]bool{"_sip._udp.pbx.test.": true}
	f := startFake(t, z)
	r, _ := newTestResolver(t, f, 0)
	hops, err := r.Resolve(context.Background(), Query{Host: "pbx.test", Transport: "udp"})
	if err != nil || len(hops) != 3 || hops[0].Addr.String() != "127.0.0.2:5070" {
		t.Fatalf("Resolve = %v, %v; want the three UDP hops", hopStrings(hops), err)
	}
	if f.count("tcp _sip._udp.pbx.test. SRV") != 1 {
		t.Errorf("the truncated SRV answer was not asked again over TCP")
	}
}

func TestSilentServer(t *testing.T) {
	t.Parallel()
	f := startFake(t, testZone())
	f.mu.Lock()
	f.drop = true
	f.mu.Unlock()
	r, _ := newTestResolver(t, f, 0)
	_, err := r.Resolve(context.Background(), Query{Host: "pbx.test"})
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Resolve with a silent server: %v, want ErrNoAnswer", err)
	}
	// DNS down: one NAPTR (twice) and the A query (twice), no SRV queries.
	if n := f.count("udp _sip._udp.pbx.test. SRV"); n != 0 {
		t.Errorf("SRV asked %d times while DNS does not answer, want 0", n)
	}
}

func TestOrderSRV(t *testing.T) {
	t.Parallel()
	rec := func(p, w uint16, name string) srvRecord { return srvRecord{Priority: p, Weight: w, Target: name} }
	tests := []struct {
		name  string
		recs  []srvRecord
		picks []int // the random numbers drawn, in order
		want  []string
	}{
		{"priority first", []srvRecord{rec(20, 100, "b"), rec(10, 1, "a")}, []int{0, 0}, []string{"a", "b"}},
		{"low draw takes the zero weight", []srvRecord{rec(1, 60, "x"), rec(1, 0, "z")}, []int{0, 0}, []string{"z", "x"}},
		{"draw past the first weight", []srvRecord{rec(1, 60, "x"), rec(1, 40, "y")}, []int{61, 0}, []string{"y", "x"}},
		{"draw within the first weight", []srvRecord{rec(1, 60, "x"), rec(1, 40, "y")}, []int{60, 0}, []string{"x", "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := 0
			intn := func(n int) int {
				v := tc.picks[i%len(tc.picks)]
				i++
				if v >= n {
					t.Fatalf("draw %d out of [0,%d)", v, n)
				}
				return v
			}
			var got []string
			for _, r := range orderSRV(tc.recs, intn) {
				got = append(got, r.Target)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("order = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseResolvConf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"nameserver 10.0.0.1\nnameserver ::1\n", "10.0.0.1:53 [::1]:53"},
		{"# none\nsearch x\n", "127.0.0.1:53"},
		{"nameserver fe80::1%eth0\nnameserver bogus\nnameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n", "[fe80::1]:53 1.1.1.1:53 2.2.2.2:53"},
	} {
		if got := fmt.Sprint(parseResolvConf(stringsReader(tc.in))); got != "["+tc.want+"]" {
			t.Errorf("parseResolvConf(%q) = %s, want [%s]", tc.in, got, tc.want)
		}
	}
}
