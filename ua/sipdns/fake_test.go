package sipdns

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// zone is what the fake server knows: records by lower-case name and type.
type zone struct {
	a     map[string][]netip.Addr
	srv   map[string][]srvRecord
	naptr map[string][]naptrRecord
	ttl   uint32
	soa   uint32          // negative TTL (SOA MINIMUM); 0: no SOA
	tc    map[string]bool // names answered with TC over UDP (full answer over TCP)
}

// fakeDNS is an in-process DNS server on loopback (UDP and TCP on the
// same port) that counts the queries it gets.
type fakeDNS struct {
	addr string
	z    zone
	mu   sync.Mutex
	n    map[string]int // "udp NAME TYPE" -> count
	drop bool           // answer nothing
}

func startFake(t testing.TB, z zone) *fakeDNS {
	t.Helper()
	pc, l := listenUDPAndTCP(t)
	f := &fakeDNS{addr: pc.LocalAddr().String(), z: z, n: map[string]int{}}
	t.Cleanup(func() { pc.Close(); l.Close() })
	go f.serveUDP(pc)
	go f.serveTCP(l)
	return f
}

// listenUDPAndTCP binds one free loopback port for both UDP and TCP, as a
// DNS server has: the UDP port the kernel picks may be taken for TCP by
// another test's connection, then another port is tried.
func listenUDPAndTCP(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		var l net.Listener
		if l, err = net.Listen("tcp4", pc.LocalAddr().String()); err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatalf("no loopback port free for both UDP and TCP: %v", err)
	return nil, nil
}

func (f *fakeDNS) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[key]
}

func (f *fakeDNS) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if out := f.answer(buf[:n], "udp"); out != nil {
			_, _ = pc.WriteTo(out, from)
		}
	}
}

func (f *fakeDNS) serveTCP(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var lb [2]byte
			if _, err := io.ReadFull(c, lb[:]); err != nil {
				return
			}
			msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
			if _, err := io.ReadFull(c, msg); err != nil {
				return
			}
			if out := f.answer(msg, "tcp"); out != nil {
				_, _ = c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
			}
		}()
	}
}

func (f *fakeDNS) answer(msg []byte, network string) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	f.mu.Lock()
	f.n[network+" "+name+" "+typeName(q.Type)]++
	drop := f.drop
	f.mu.Unlock()
	if drop {
		return nil
	}
	tc := network == "udp" && f.z.tc[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, Truncated: tc}
	b := dnsmessage.NewBuilder(nil, rh)
	must(b.StartQuestions())
	must(b.Question(q))
	must(b.StartAnswers())
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassINET, TTL: f.z.ttl}
	found := 0
	if !tc {
		found = f.records(&b, hdr, name, q.Type)
	}
	if found == 0 && !tc && f.z.soa > 0 {
		must(b.StartAuthorities())
		soa := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET, TTL: 3600}
		n := dnsmessage.MustNewName("ns.test.")
		must(b.SOAResource(soa, dnsmessage.SOAResource{NS: n, MBox: n, Serial: 1, Refresh: 1, Retry: 1, Expire: 1, MinTTL: f.z.soa}))
	}
	out, err := b.Finish()
	must(err)
	return out
}

func (f *fakeDNS) records(b *dnsmessage.Builder, hdr dnsmessage.ResourceHeader, name string, qt dnsmessage.Type) int {
	found := 0
	switch qt {
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		for _, a := range f.z.a[name] {
			if a.Is4() && qt == dnsmessage.TypeA {
				must(b.AResource(hdr, dnsmessage.AResource{A: a.As4()}))
				found++
			} else if a.Is6() && qt == dnsmessage.TypeAAAA {
				must(b.AAAAResource(hdr, dnsmessage.AAAAResource{AAAA: a.As16()}))
				found++
			}
		}
	case dnsmessage.TypeSRV:
		for _, s := range f.z.srv[name] {
			must(b.SRVResource(hdr, dnsmessage.SRVResource{Priority: s.Priority, Weight: s.Weight, Port: s.Port,
				Target: dnsmessage.MustNewName(s.Target)}))
			found++
		}
	case typeNAPTR:
		for _, n := range f.z.naptr[name] {
			must(b.UnknownResource(hdr, dnsmessage.UnknownResource{Type: typeNAPTR, Data: naptrData(n)}))
			found++
		}
	}
	return found
}

// naptrData encodes NAPTR RDATA.
func naptrData(n naptrRecord) []byte {
	d := binary.BigEndian.AppendUint16(nil, n.Order)
	d = binary.BigEndian.AppendUint16(d, n.Preference)
	for _, s := range []string{n.Flags, n.Services, n.Regexp} {
		d = append(append(d, byte(len(s))), s...)
	}
	for _, l := range strings.Split(strings.TrimSuffix(n.Rep, "."), ".") {
		if l != "" {
			d = append(append(d, byte(len(l))), l...)
		}
	}
	return append(d, 0)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
