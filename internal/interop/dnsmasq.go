package interop

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// DnsmasqOptions are the records a test's dnsmasq serves.
type DnsmasqOptions struct {
	// Listen is the address to serve on (default 127.0.0.1).
	Listen string
	// Port is the port to serve on; 0 means a free one. 53 suits a
	// network namespace whose resolv.conf names dnsmasq.
	Port int
	// Domains are answered by dnsmasq alone: an unknown name under them
	// gets NXDOMAIN, names elsewhere REFUSED (there is no upstream).
	Domains []string
	Hosts   []HostRecord
	SRV     []SRVRecord
	NAPTR   []NAPTRRecord
	// TTL is the TTL of these records in seconds (dnsmasq's default for
	// its own records is 0: not to be cached).
	TTL int
	// Extra are more dnsmasq arguments, such as a DHCP server's
	// --dhcp-range and --dhcp-option.
	Extra []string
}

// HostRecord is an A/AAAA record (--host-record).
type HostRecord struct{ Name, Addr string }

// SRVRecord is an SRV record (--srv-host): Name is "_sip._udp.domain";
// Target must be a host name with a HostRecord (dnsmasq would serve an IP
// address as a target name, not an address).
type SRVRecord struct {
	Name, Target           string
	Port, Priority, Weight int
}

// NAPTRRecord is a NAPTR record (--naptr-record).
type NAPTRRecord struct {
	Name                                string
	Order, Preference                   int
	Flags, Service, Regexp, Replacement string
}

// Dnsmasq is a running dnsmasq serving DnsmasqOptions' records on UDP and
// TCP at Addr.
type Dnsmasq struct {
	Addr string // "127.0.0.1:port"
	Port int
	Log  *Log // dnsmasq's log: every query shows as "query[TYPE] name from ..."
	p    *proc
}

// StartDnsmasq starts dnsmasq on a free loopback port with only opts'
// records (no configuration file, hosts file or upstream server) and
// waits until it answers. It is stopped in t.Cleanup.
func StartDnsmasq(t testing.TB, opts DnsmasqOptions) *Dnsmasq {
	t.Helper()
	bin := Need(t, "dnsmasq", "dnsmasq-base")
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1"
	}
	d := &Dnsmasq{Port: opts.Port, Log: NewLog()}
	if d.Port == 0 {
		d.Port = FreePort(t)
	}
	d.Addr = net.JoinHostPort(opts.Listen, strconv.Itoa(d.Port))
	args := []string{bin, "-k", "--conf-file=/dev/null", "--port=" + strconv.Itoa(d.Port),
		"--listen-address=" + opts.Listen, "--bind-interfaces", "--no-resolv", "--no-hosts",
		"--pid-file=", "--log-queries", "--log-facility=-", "--local-ttl=" + strconv.Itoa(opts.TTL)}
	for _, dom := range opts.Domains {
		args = append(args, "--local=/"+dom+"/")
	}
	for _, h := range opts.Hosts {
		args = append(args, "--host-record="+h.Name+","+h.Addr)
	}
	for _, s := range opts.SRV {
		args = append(args, fmt.Sprintf("--srv-host=%s,%s,%d,%d,%d", s.Name, s.Target, s.Port, s.Priority, s.Weight))
	}
	for _, n := range opts.NAPTR {
		args = append(args, fmt.Sprintf("--naptr-record=%s,%d,%d,%s,%s,%s,%s", n.Name, n.Order, n.Preference,
			n.Flags, n.Service, n.Regexp, n.Replacement))
	}
	args = append(args, opts.Extra...)
	dumpOnFailure(t, "dnsmasq", d.Log)
	d.p = startProc(t, "dnsmasq", d.Log, t.TempDir(), args...)
	t.Cleanup(d.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, d.Addr)
	}}
	err := d.Log.WaitFor(ctx, "started, version")
	if err == nil && len(opts.Hosts) > 0 {
		err = poll(ctx, d.p, func(ctx context.Context) error {
			_, err := r.LookupHost(ctx, opts.Hosts[0].Name)
			return err
		})
	}
	if err != nil {
		t.Fatalf("dnsmasq not ready: %v", err)
	}
	return d
}

// Stop stops dnsmasq; calling it twice is harmless.
func (d *Dnsmasq) Stop() { d.p.stop() }
