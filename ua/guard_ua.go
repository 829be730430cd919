package ua

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// The UA's side of the request guard (guard.go): how it is built, started
// and told about refusals.

// guardOptions returns the sipgo options that put the guard in front of
// the transport and keep unmatched responses (a scanner's) out of the log.
func (u *UA) guardOptions() (sip.TransportLayerOption, sip.TransactionLayerOption) {
	u.guard = newGuard(u.cfg.Limits, u.clock, NewLogLimiter(u.log, u.clock, dropLogInterval, 256), knownNetworks(u.allow, u.cfg.Callers))
	return sip.WithTransportLayerReadFilter(u.guard.filter),
		sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})
}

// knownNetworks is where the guard expects callers from: the allow_from
// networks and the networks sip.callers entries may call from. Requests
// from them are never starved by the global budget a crowd of strangers
// uses up (a flood must not keep a known caller out).
func knownNetworks(allow []allowEntry, callers []KnownCaller) []allowEntry {
	known := append([]allowEntry(nil), allow...)
	for _, k := range callers {
		for _, n := range k.Networks {
			if p, err := parseNetwork(n); err == nil {
				known = append(known, allowEntry{prefix: p})
			}
		}
	}
	return known
}

// startGuard sets the memory ceiling and runs the guard's housekeeping
// until ctx ends; the returned func waits for it.
func (u *UA) startGuard(ctx context.Context, udp net.PacketConn) (wait func()) {
	g := u.guard
	g.conn.Store(&udp)
	g.memLimit = g.lim.applyMemoryLimit()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g.run(ctx, u.trustedAddrs) }()
	return wg.Wait
}

// noteRefusal tells the guard that a request was refused (403: not
// allowed, a failed digest; 400: malformed), so that sources that keep
// failing are blocked. The source is where the request came from, never
// an address the message names.
func (u *UA) noteRefusal(tx sip.ServerTransaction, res *sip.Response) {
	if u.guard == nil || (res.StatusCode != 403 && res.StatusCode != 400) {
		return
	}
	o, ok := tx.(interface{ Origin() *sip.Request })
	if !ok || o.Origin() == nil {
		return
	}
	if ap, err := netip.ParseAddrPort(o.Origin().Source()); err == nil {
		u.guard.fail(ap)
	}
}

// GuardDrops returns how many messages the request guard has dropped
// unanswered so far, by reason ("scanner", "rate limit", ...).
func (u *UA) GuardDrops() map[string]uint64 {
	out := map[string]uint64{}
	if u.guard == nil {
		return out
	}
	for r := dropReason(0); r < dropReasons; r++ {
		if n := u.guard.dropped[r].Load(); n > 0 {
			out[dropText[r]] = n
		}
	}
	return out
}

// sendStateless sends the final answer to a request that started nothing
// (OPTIONS, a method not allowed, a CANCEL matching nothing) as a
// stateless UAS does (RFC 3261 §8.2.7): over UDP the transaction ends
// before the answer leaves, so a retransmission is answered anew instead
// of being absorbed for Timer J's 32 s, and a flood leaves no transaction
// state behind. (Over TCP and TLS sipgo ends it at once anyway.)
func (u *UA) sendStateless(tx sip.ServerTransaction, res *sip.Response) {
	o, ok := tx.(interface{ Origin() *sip.Request })
	if !ok || o.Origin() == nil || sip.IsReliable(o.Origin().Transport()) {
		u.send(tx, res)
		return
	}
	u.noteRefusal(tx, res)
	tx.Terminate()
	if err := u.server.WriteResponse(res); err != nil {
		u.log.Debug("respond failed", "code", res.StatusCode, "err", err)
	}
}

// respondStateless is sendStateless for a plain answer with code.
func (u *UA) respondStateless(tx sip.ServerTransaction, req *sip.Request, code int, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, StatusText(code), nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	u.sendStateless(tx, res)
}

// logStranger logs a line that a stranger can make the UA write (a busy
// refusal under an INVITE flood): once per source address per interval,
// the rest summed up ("... (9812 more from 127.0.0.5 in the last 10s)").
func (u *UA) logStranger(req *sip.Request, msg string, args ...any) {
	src := req.Source()
	if ap, err := netip.ParseAddrPort(src); err == nil {
		src = ap.Addr().Unmap().String()
	}
	u.guard.log(slog.LevelInfo, src, msg, args...)
}
