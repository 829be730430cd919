package ua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Version is reported in the User-Agent and Server headers; cmd sets it.
type Version string

// allowed lists the methods sipbell answers, for Allow headers.
var allowed = []string{"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "MESSAGE", "NOTIFY", "SUBSCRIBE"}

// AllowHeader returns the value of the Allow header sipbell sends.
func AllowHeader() string { return strings.Join(allowed, ", ") }

// UA is one SIP user agent: a UDP and a TCP listener sharing one address.
type UA struct {
	cfg    Config
	log    *slog.Logger
	sua    *sipgo.UserAgent
	server *sipgo.Server

	mu      sync.Mutex
	udp     net.PacketConn
	tcp     net.Listener
	running bool
}

// New builds a user agent for cfg. It does not touch the network until Run.
func New(cfg Config, version string, log *slog.Logger) (*UA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ua: invalid config: %w", err)
	}
	name := cfg.UserAgent
	if name == "" {
		name = "sipbell/" + version
	}
	sua, err := sipgo.NewUA(sipgo.WithUserAgent(name))
	if err != nil {
		return nil, fmt.Errorf("ua: new user agent: %w", err)
	}
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(discardLogger(log, cfg.Trace)))
	if err != nil {
		sua.Close()
		return nil, fmt.Errorf("ua: new server: %w", err)
	}
	u := &UA{cfg: cfg, log: log, sua: sua, server: srv}
	srv.OnOptions(u.onOptions)
	return u, nil
}

// Listen opens the UDP and TCP sockets on the configured address. When the
// port is 0, both transports share the port the UDP socket got.
func (u *UA) Listen() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.udp != nil {
		return errors.New("ua: already listening")
	}
	udp, err := net.ListenPacket("udp", u.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ua: listen udp %s: %w", u.cfg.Listen, err)
	}
	tcp, err := net.Listen("tcp", udp.LocalAddr().String())
	if err != nil {
		udp.Close()
		return fmt.Errorf("ua: listen tcp %s: %w", udp.LocalAddr(), err)
	}
	u.udp, u.tcp = udp, tcp
	return nil
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

// Run serves SIP until ctx is cancelled, then closes the sockets. It calls
// Listen first when that has not been done.
func (u *UA) Run(ctx context.Context) error {
	if u.Addr() == nil {
		if err := u.Listen(); err != nil {
			return err
		}
	}
	u.mu.Lock()
	udp, tcp := u.udp, u.tcp
	u.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = u.server.ServeUDP(udp) }()
	go func() { defer wg.Done(); _ = u.server.ServeTCP(tcp) }()
	u.log.Info("sip listening", "udp", udp.LocalAddr().String(), "tcp", tcp.Addr().String(),
		"uri", fmt.Sprintf("sip:%s@%s", u.cfg.User, udp.LocalAddr()))

	<-ctx.Done()
	udp.Close()
	tcp.Close()
	wg.Wait()
	u.sua.Close()
	return nil
}

func (u *UA) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", AllowHeader()))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "replaces"))
	if err := tx.Respond(res); err != nil {
		u.log.Debug("options: respond failed", "err", err)
	}
}

// discardLogger returns sipgo's logger: the injected one when tracing,
// otherwise one that drops sipgo's chatter below warning level.
func discardLogger(log *slog.Logger, trace bool) *slog.Logger {
	if trace {
		return log.With("component", "sipgo")
	}
	return slog.New(levelFilter{log.Handler(), slog.LevelWarn}).With("component", "sipgo")
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}
