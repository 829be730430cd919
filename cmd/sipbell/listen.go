package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// keptSIPAddr is the address a new core should listen on for the listen
// setting spec: the running core's address when spec is unchanged and asks
// for any port (port 0), so softphones pointed at the device keep
// reaching it across configuration changes; "" otherwise. Called with
// a.mu held.
func (a *app) keptSIPAddr(spec string) string {
	if a.sipBound == "" || spec != a.sipSpec {
		return ""
	}
	if _, port, err := net.SplitHostPort(spec); err != nil || (port != "0" && port != "") {
		return ""
	}
	return a.sipBound
}

// warnIfNobodyCanCall says loudly at start when no call can ever come in:
// no account registers (so no PBX relays calls) and nobody is admitted
// directly.
func warnIfNobodyCanCall(log *slog.Logger, cfg provisioning.File) {
	if !nobodyCanCall(cfg) {
		return
	}
	msg := msgNobodyCanCall
	if cfg.Device.Mode == device.ModeATA {
		msg = msgNobodyCanCallPhone
	}
	log.Warn(msg,
		"why", "no SIP account (sip.accounts), and neither sip.allow_from nor sip.callers admits anyone: every incoming call is refused with 403",
		"fix", "add an account, or the phones' network: sip.allow_from: [192.168.1.0/24]",
		"listen", cfg.SIP.Listen)
}

// msgNobodyCanCall is the start-up warning of warnIfNobodyCanCall.
const msgNobodyCanCall = "NOBODY CAN CALL this door station"

// msgNobodyCanCallPhone is the same warning in the analog phone mode.
const msgNobodyCanCallPhone = "NOBODY CAN CALL this phone"

// nobodyCanCall reports whether cfg admits no incoming call at all.
func nobodyCanCall(cfg provisioning.File) bool {
	return len(cfg.SIP.Accounts) == 0 && len(cfg.SIP.AllowFrom) == 0 && len(cfg.SIP.Callers) == 0
}

// errNoCall is what hanging up answers when no call is going on.
var errNoCall = errors.New("no call to hang up")

// restart rebuilds the running core (board, SIP, door station) from the
// configuration in force, in this process: the admin page's Restart. The
// web page, the SIP port and the configuration stay as they are.
func (a *app) restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.core == nil {
		return errNotRunning
	}
	a.log.Info("restarting board, SIP and door station")
	a.core.stop(a.log)
	a.core = nil
	c, err := a.startCore(ctx, a.cfg)
	if err != nil {
		a.fail(fmt.Errorf("restart: %w", err))
		return fmt.Errorf("restart: %w", err)
	}
	a.core = c
	return nil
}
