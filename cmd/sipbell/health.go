package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Errors of the health check, wrapped with the detail.
var (
	errNotRunning     = errors.New("the firmware is not running")
	errSIPSilent      = errors.New("SIP does not answer")
	errDeviceStuck    = errors.New("the door station does not answer")
	errNotRegistered  = errors.New("not registered")
	healthProbeLimit  = 2 * time.Second // one OPTIONS probe or status request
	healthCheckUserAg = "sipbell-health"
)

// Health proves the running firmware works, the way a person would check
// it: SIP answers OPTIONS on the address it listens on (UDP and TCP), the
// door station's state machine answers, and every configured account is
// registered. It is what decides whether a configuration change is kept
// (provisioning.Manager): "the process runs" is not enough.
func (a *app) Health(ctx context.Context) error {
	a.mu.Lock()
	c, cfg := a.core, a.cfg
	a.mu.Unlock()
	if c == nil {
		return errNotRunning
	}
	addr := c.agent.Addr()
	if addr == nil {
		return fmt.Errorf("%w: no SIP socket", errSIPSilent)
	}
	target := probeAddr(addr.AddrPort().Addr().String(), addr.Port)
	for _, network := range []string{"udp", "tcp"} {
		if err := probeOPTIONS(ctx, network, target); err != nil {
			return fmt.Errorf("%w over %s on %s: %v", errSIPSilent, network, target, err)
		}
	}
	if c.deviceStatus != nil {
		sctx, cancel := context.WithTimeout(ctx, healthProbeLimit)
		_, err := c.deviceStatus(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: %v", errDeviceStuck, err)
		}
	}
	regs := c.registrations()
	if n := len(cfg.SIP.Accounts); len(regs) < n {
		return fmt.Errorf("%w: %d of %d accounts have a registration state yet", errNotRegistered, len(regs), n)
	}
	for aor, st := range regs {
		if st != "registered" && !strings.HasPrefix(st, "registered:") {
			return fmt.Errorf("%w: %s is %s", errNotRegistered, aor, st)
		}
	}
	return nil
}

// probeAddr is where a probe reaches a listener bound to host:port: the
// loopback address of the same family when host is a wildcard.
func probeAddr(host string, port int) string {
	switch host {
	case "", "0.0.0.0", "::ffff:0.0.0.0", "invalid IP":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, fmt.Sprint(port))
}

// probeOPTIONS sends one OPTIONS request to addr over network ("udp" or
// "tcp") and waits for a 200 OK to it, bounded by healthProbeLimit.
func probeOPTIONS(ctx context.Context, network, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, healthProbeLimit)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	branch, tag := randomToken(), randomToken()
	local := conn.LocalAddr().String()
	req := fmt.Sprintf("OPTIONS sip:health@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:health@%s>;tag=%s\r\n"+
		"To: <sip:health@%s>\r\n"+
		"Call-ID: health-%s\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"User-Agent: %s\r\n"+
		"Content-Length: 0\r\n\r\n",
		addr, strings.ToUpper(network), local, branch, local, tag, addr, branch, healthCheckUserAg)
	if _, err := conn.Write([]byte(req)); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "SIP/2.0 200") {
		return fmt.Errorf("answered %q", line)
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
