package ua

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/rawudp"
	"github.com/sipbell/sipbell/ua/media"
	"github.com/sipbell/sipbell/ua/sipdns"
)

// Version is reported in the User-Agent and Server headers; cmd sets it.
type Version string

// allowed lists the methods sipbell answers, for Allow headers.
var allowed = []string{"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "NOTIFY", "UPDATE", "REFER", "PRACK"}

// AllowHeader returns the value of the Allow header sipbell sends when
// no SUBSCRIBE or MESSAGE handler is installed (see UA.HandleSubscribe).
func AllowHeader() string { return strings.Join(allowed, ", ") }

// Option adjusts a UA built by New.
type Option func(*UA)

// WithClock replaces the system clock (tests).
func WithClock(c Clock) Option { return func(u *UA) { u.clock = c } }

// WithMedia sets the handler that runs RTP for calls; without it, calls
// negotiate SDP and reserve an RTP port but carry no audio.
func WithMedia(h MediaHandler) Option { return func(u *UA) { u.media = h } }

// WithMediaConfig sets the codec/RTP configuration used for SDP.
func WithMediaConfig(c media.Config) Option { return func(u *UA) { u.mediaCfg = c } }

// WithTLSConfig sets the TLS client configuration (default: the system
// roots plus every account's tls_ca_file).
func WithTLSConfig(c *tls.Config) Option { return func(u *UA) { u.tlsConf = c } }

// UA is one SIP user agent: a UDP and a TCP listener sharing one address,
// the registrations of the configured accounts, and the calls.
type UA struct {
	cfg       Config
	log       *slog.Logger
	clock     Clock
	media     MediaHandler
	mediaCfg  media.Config
	tlsConf   *tls.Config
	names     tlsNames // TLS servers DNS chose, as sipgo resolves them (tlsdns.go)
	tlsState  tlsState // SIPS listener and the device's certificate: tls.go
	timing    timing
	allow     []allowEntry
	events    chan Event
	merged    mergeDetector
	guard     *guard                           // request guard, see guard.go
	checkSync func()                           // NOTIFY Event: check-sync, see WithCheckSync
	mwi       func(waiting bool, voice string) // NOTIFY Event: message-summary, see WithMessageWaiting
	byeHook   func()                           // tests: runs while a BYE is handled (server.go readBye); nil otherwise

	identity identityState    // who a request is from: identity.go
	dns      *sipdns.Resolver // RFC 3263 for names of servers and targets: dns.go

	trustOnce sync.Once
	trusted   []netip.Addr     // registrar/proxy IPs: admitted to call
	trustedAP []netip.AddrPort // the same with ports: Trusted

	sua    *sipgo.UserAgent
	server *sipgo.Server

	mu      sync.Mutex
	udp     net.PacketConn
	tcp     net.Listener
	limiter *connLimiter // inbound TCP limits, set by Run
	dropLog *LogLimiter  // "event dropped" lines (events.go)
	host    string       // advertised host for Via/Contact
	clients map[string]*sipgo.Client
	// Set by HandleSubscribe/HandleMessage before Run.
	extraAllow  []string
	allowEvents string
	regs        []*regLoop
	calls       map[string]*call
	running     bool
	stopping    bool           // no new call goroutines (wg.Add must not race wg.Wait)
	ready       chan struct{}  // closed once Run serves
	wg          sync.WaitGroup // call goroutines
}

// New builds a user agent for cfg. It does not touch the network until
// Listen or Run.
func New(cfg Config, version string, log *slog.Logger, opts ...Option) (*UA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ua: invalid config: %w", err)
	}
	u := &UA{cfg: cfg, log: log, clock: SystemClock{}, mediaCfg: media.DefaultConfig(),
		timing: defaultTiming(), events: make(chan Event, 256), ready: make(chan struct{}), calls: map[string]*call{},
		clients: map[string]*sipgo.Client{}}
	for _, o := range opts {
		o(u)
	}
	u.dropLog = NewLogLimiter(log, u.clock, dropLogInterval, 4)
	u.dns = newResolver(cfg, u.clock)
	for _, s := range cfg.AllowFrom {
		e, _ := parseAllow(s)
		u.allow = append(u.allow, e)
	}
	u.warnIdentityConfig()
	if u.tlsConf == nil {
		tc, err := tlsConfig(cfg.Accounts)
		if err != nil {
			return nil, err
		}
		u.tlsConf = tc
	}
	if err := u.setupTLS(); err != nil { // tls.go
		return nil, err
	}
	name := cfg.UserAgent
	if name == "" {
		name = "sipbell/" + version
	}
	// sipgo's transport and transaction layers would log every malformed
	// datagram a scanner sends through slog.Default: keep them to -sip-trace.
	quiet := quietLogger(log, cfg.Trace)
	guardTp, guardTx := u.guardOptions()
	sua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgenTLSConfig(u.tlsConf),
		sipgo.WithUserAgentDNSResolver(u.names.resolver()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet), guardTp),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet), guardTx))
	if err != nil {
		return nil, fmt.Errorf("ua: new user agent: %w", err)
	}
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(discardLogger(log, cfg.Trace)))
	if err != nil {
		sua.Close()
		return nil, fmt.Errorf("ua: new server: %w", err)
	}
	u.sua, u.server = sua, srv
	u.routes()
	return u, nil
}

// tlsConfig trusts the system roots plus every account's CA file.
func tlsConfig(accs []Account) (*tls.Config, error) {
	var pool *x509.CertPool
	for i, a := range accs {
		if a.TLSCAFile == "" {
			continue
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		b, err := os.ReadFile(a.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("ua: accounts[%d].tls_ca_file: %w", i, err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("ua: accounts[%d].tls_ca_file %s: no PEM certificate", i, a.TLSCAFile)
		}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Listen opens the UDP and TCP sockets on the configured address. When the
// port is 0, both transports share the port the UDP socket got.
func (u *UA) Listen() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.udp != nil {
		return errors.New("ua: already listening")
	}
	udp, tcp, err := listenPair(u.cfg.Listen)
	if err != nil {
		return err
	}
	u.udp, u.tcp = udp, tcp
	u.host = advertisedHost(udp.LocalAddr().(*net.UDPAddr), u.cfg.Accounts)
	return nil
}

// listenPair opens UDP and TCP on the same address. With port 0 the TCP
// side may find the UDP port taken (an outgoing connection's ephemeral
// port): then another port is tried.
func listenPair(addr string) (net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("ua: listen udp %s: %w", addr, err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			// Read and written with raw system calls: an idle device's
			// keep-alive then does not wake the runtime's sysmon
			// (internal/rawudp, issue 16).
			return rawudp.Wrap(udp.(*net.UDPConn)), tcp, nil
		}
		udp.Close()
		if port != "0" || try >= 20 {
			return nil, nil, fmt.Errorf("ua: listen tcp %s: %w", udp.LocalAddr(), err)
		}
	}
}

// advertisedHost is the listen IP, or, when listening on all addresses,
// the local IP used to reach the first registrar (or a default route).
func advertisedHost(la *net.UDPAddr, accs []Account) string {
	if !la.IP.IsUnspecified() {
		return la.IP.String()
	}
	target := "192.0.2.1:5060" // TEST-NET: only used to pick a route, nothing is sent
	if len(accs) > 0 {
		if s, err := parseServer(accs[0].Registrar, accs[0].transport()); err == nil {
			target = s.addr("udp")
		}
	}
	if c, err := net.Dial("udp", target); err == nil {
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).IP.String()
	}
	return "127.0.0.1"
}

// Addr returns the address SIP is received on (UDP and TCP share it), or
// nil before Listen.
func (u *UA) Addr() *net.UDPAddr {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.udp == nil {
		return nil
	}
	return u.udp.LocalAddr().(*net.UDPAddr)
}

// Run serves SIP and keeps the accounts registered until ctx is
// cancelled; then it ends the calls, unregisters (bounded to about a
// second) and closes the sockets. It calls Listen first when needed.
func (u *UA) Run(ctx context.Context) error {
	if u.Addr() == nil {
		if err := u.Listen(); err != nil {
			return err
		}
	}
	u.mu.Lock()
	if u.running {
		u.mu.Unlock()
		return errors.New("ua: already running")
	}
	u.running = true
	udp, tcp := u.udp, u.tcp
	u.mu.Unlock()
	guardCtx, stopGuard := context.WithCancel(context.WithoutCancel(ctx))
	waitGuard := u.startGuard(guardCtx, udp)
	defer func() { stopGuard(); waitGuard() }()

	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	limiter := newConnLimiter(u.cfg.connLimits().within(fdLimit()), u.log, u.isTrustedIP)
	u.mu.Lock()
	u.limiter = limiter
	u.mu.Unlock()
	tcpl := newTCPListener(tcp, u.log, limiter)
	tcpl.frame = u.frameTCP // tcpframe.go: the request checks and normalisation over TCP
	// tls.go: the SIPS listener, nil when listen_tls is off.
	tlsl, err := u.listenTLS(limiter)
	if err != nil {
		udp.Close()
		tcp.Close()
		return err
	}
	var serve sync.WaitGroup
	if tlsl != nil {
		serve.Add(1)
		go func() { defer serve.Done(); u.serveTLS(serveCtx, tlsl) }()
		u.log.Info("sip listening tls", "tls", tlsl.Addr().String(), "fingerprint", u.CertificateFingerprint())
	}
	serve.Add(2)
	go func() { defer serve.Done(); u.serveUDP(serveCtx, udp) }()
	go func() { defer serve.Done(); u.serveTCP(serveCtx, tcpl) }()
	u.waitServing(ctx, udp.LocalAddr().String())
	u.prepareSpare() // the first call's media sockets (mediaspare.go)
	defer u.closeSpare()
	close(u.ready)
	u.log.Info("sip listening", "udp", udp.LocalAddr().String(), "tcp", tcp.Addr().String(),
		"uri", fmt.Sprintf("sip:%s@%s", u.cfg.User, udp.LocalAddr()))

	regCtx, stopRegs := context.WithCancel(context.WithoutCancel(ctx))
	var regs sync.WaitGroup
	for i, a := range u.cfg.Accounts {
		r := newRegLoop(u, i, a)
		u.mu.Lock()
		u.regs = append(u.regs, r)
		u.mu.Unlock()
		regs.Add(1)
		go func() { defer regs.Done(); r.run(regCtx, ctx.Done()) }()
	}

	<-ctx.Done()
	u.mu.Lock()
	u.stopping = true
	u.mu.Unlock()
	u.hangupAll()
	regs.Wait() // each loop unregisters, bounded by unregisterTimeout
	stopRegs()
	u.waitCalls(time.Second)
	stopServe()
	udp.Close()
	tcpl.Close()
	if tlsl != nil {
		tlsl.Close()
	}
	serve.Wait()
	u.sua.Close()
	return nil
}

// client returns the sipgo client for transport ("udp", "tcp", "tls").
// UDP requests leave from the listening socket (NAT pinholes, rport);
// TCP and TLS use their own connections, reused per destination.
func (u *UA) client(transport string) (*sipgo.Client, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c, ok := u.clients[transport]; ok {
		return c, nil
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(u.host), sipgo.WithClientNAT(),
		sipgo.WithClientLogger(discardLogger(u.log, u.cfg.Trace))}
	if transport == "udp" {
		opts = append(opts, sipgo.WithClientConnectionAddr(u.udp.LocalAddr().String()))
	}
	c, err := sipgo.NewClient(u.sua, opts...)
	if err != nil {
		return nil, fmt.Errorf("ua: new %s client: %w", transport, err)
	}
	if transport == "udp" {
		c.TxRequester = udpRequester{u: u, fellBack: &logEvery{}} // RFC 3261 §18.1.1, see udpsize.go
	}
	u.clients[transport] = c
	return c, nil
}

// discardLogger returns sipgo's logger: the injected one when tracing,
// otherwise one that drops sipgo's chatter below error level.
func discardLogger(log *slog.Logger, trace bool) *slog.Logger {
	if trace {
		return log.With("component", "sipgo")
	}
	return slog.New(levelFilter{log.Handler(), slog.LevelError}).With("component", "sipgo")
}

// quietLogger passes sipgo's internal chatter only when tracing.
func quietLogger(log *slog.Logger, trace bool) *slog.Logger {
	if trace {
		return log.With("component", "sipgo")
	}
	return slog.New(slog.DiscardHandler)
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// waitServing waits (briefly) until sipgo has put the UDP socket into its
// connection pool, so that requests can leave from it.
func (u *UA) waitServing(ctx context.Context, laddr string) {
	tl := u.sua.TransportLayer()
	for i := 0; i < 200; i++ {
		if c, err := tl.GetConnection("udp", laddr); err == nil && c != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	u.log.Warn("sip: UDP socket not ready after 1s", "addr", laddr)
}

// waitCalls waits for the call goroutines, at most d.
func (u *UA) waitCalls(d time.Duration) {
	done := make(chan struct{})
	go func() { u.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		u.log.Warn("calls still ending at shutdown")
	}
}
