package ua

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// routes installs the request handlers.
func (u *UA) routes() {
	s := u.server
	s.OnOptions(u.checked(u.onOptions))
	s.OnInvite(u.checked(u.onInvite))
	s.OnAck(u.onAck)
	s.OnBye(u.checked(u.onBye))
	s.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL that matched a transaction never gets here.
		u.respondStateless(tx, req, 481)
	})
	s.OnInfo(u.checked(u.onInfo))
	s.OnUpdate(u.checked(u.onUpdate))
	s.OnNotify(u.checked(u.onNotify))
	s.OnRefer(u.checked(u.onRefer))
	s.OnPrack(u.checked(u.onPrack))
	s.OnNoRoute(u.checked(func(req *sip.Request, tx sip.ServerTransaction) {
		if req.IsAck() {
			return
		}
		res := sip.NewResponseFromRequest(req, 405, StatusText(405), nil)
		res.AppendHeader(sip.NewHeader("Allow", u.allowHeader()))
		u.sendStateless(tx, res)
	}))
}

func (u *UA) respond(tx sip.ServerTransaction, req *sip.Request, code int, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, StatusText(code), nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	u.send(tx, res)
}

func (u *UA) send(tx sip.ServerTransaction, res *sip.Response) {
	u.noteRefusal(tx, res)
	if err := tx.Respond(res); err != nil {
		u.log.Debug("respond failed", "code", res.StatusCode, "err", err)
	}
}

func (u *UA) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	// OPTIONS is answered for anyone (registrars and proxies ping with it;
	// it starts nothing). Max-Forwards 0 is allowed here (RFC 3261 §11.1).
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", u.allowHeader()))
	if ev := u.allowEventsHeader(); ev != "" {
		res.AppendHeader(sip.NewHeader("Allow-Events", ev))
	}
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "timer, replaces, 100rel"))
	res.AppendHeader(sip.NewHeader("Server", u.sua.Name())) // sip.user_agent: which firmware answers
	u.sendStateless(tx, res)
}

// precheck answers 483 and 482 (RFC 3261 §16.3, §8.2.2.2); it reports
// whether to go on. Who may call is decided by admit (identity.go).
func (u *UA) precheck(req *sip.Request, tx sip.ServerTransaction) bool {
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		u.respond(tx, req, 483)
		tx.Terminate()
		return false
	}
	if u.merged.seen(req) {
		u.respond(tx, req, 482)
		tx.Terminate()
		return false
	}
	return true
}

// trustedIPs resolves the registrars and proxies of all accounts (once).
func (u *UA) trustedIPs() []netip.Addr {
	u.trustOnce.Do(u.resolveTrusted)
	return u.trusted
}

func fromURI(req *sip.Request) string {
	if f := req.From(); f != nil {
		return f.Address.String()
	}
	return ""
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := u.inDialog(req); c != nil {
		c.ackArrived(req) // reinvite.go
	}
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	if c := u.findDialog(id); c != nil && c.ds != nil {
		if b := req.Body(); len(b) > 0 {
			select {
			case c.ackBody <- b:
			default:
			}
		}
		_ = c.ds.ReadAck(req, tx)
	}
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if c := u.inDialog(req); c == nil || !u.byeDialog(c, req, tx) {
		u.respond(tx, req, 481)
	}
}

// byeDialog hands a BYE to c's dialog and reports whether that dialog
// accepted it.
func (u *UA) byeDialog(c *call, req *sip.Request, tx sip.ServerTransaction) bool {
	c.mu.Lock()
	ds, dc := c.ds, c.dc
	c.mu.Unlock()
	switch {
	case ds != nil:
		return u.readBye(c, func() error { return ds.ReadBye(req, tx) })
	case dc != nil:
		return u.readBye(c, func() error { return dc.ReadBye(req, tx) })
	}
	return false
}

// readBye hands a BYE to c's dialog; while it is handled c counts as
// ending. It reports whether the dialog accepted it.
func (u *UA) readBye(c *call, read func() error) bool {
	c.byeArrived(1)
	defer c.byeArrived(-1)
	if u.byeHook != nil {
		u.byeHook()
	}
	return read() == nil
}

// onInfo accepts in-dialog INFO with application/dtmf-relay (SIP INFO
// DTMF, as some PBXes send) and publishes the digit.
func (u *UA) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := u.inDialog(req)
	if c == nil {
		u.respond(tx, req, 481)
		return
	}
	if !u.sameParty(c, req) {
		u.refuseInDialog(req, tx)
		return
	}
	u.respond(tx, req, 200)
	ct := req.ContentType()
	if ct == nil || !strings.Contains(strings.ToLower(ct.Value()), "dtmf") {
		return
	}
	for _, line := range strings.Split(string(req.Body()), "\n") {
		k, v, ok := strings.Cut(line, "=")
		v = strings.TrimSpace(v)
		if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") && len(v) == 1 && validDigit(v[0]) {
			ev := c.event(EventDTMF)
			ev.Digit = v[0]
			u.emit(ev)
		}
	}
}

// inDialog finds the call an in-dialog request belongs to: the call whose
// dialog it names or, when it names the dialog a transfer of a call has
// just made (the transfer target sending right behind its ACK), that call
// once the transfer has taken it over (awaitTakeOver: takeOverLag at
// most). Every in-dialog request finds its call here.
func (u *UA) inDialog(req *sip.Request) *call {
	ids := dialogIDs(req)
	if c := u.dialogCall(ids); c != nil {
		return c
	}
	if !u.awaitTakeOver(ids) {
		return nil
	}
	return u.dialogCall(ids)
}

// dialogIDs are the ids of the dialog req may be on: with us as its UAS
// (a call we answered), then as its UAC (a call we made); "" when req
// names no dialog.
func dialogIDs(req *sip.Request) (ids [2]string) {
	ids[0], _ = sip.DialogIDFromRequestUAS(req)
	ids[1], _ = sip.DialogIDFromRequestUAC(req)
	return ids
}

// dialogCall finds the call whose dialog is one of ids, in their order.
func (u *UA) dialogCall(ids [2]string) *call {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if c := u.findDialog(id); c != nil {
			return c
		}
	}
	return nil
}

// keepAlive writes a CRLF ping to dst over transport.
func (u *UA) keepAlive(transport, dst string) error {
	ping := []byte("\r\n\r\n")
	if transport == "udp" {
		addr, err := net.ResolveUDPAddr("udp", dst)
		if err != nil {
			return err
		}
		_, err = u.udp.WriteTo(ping, addr)
		return err
	}
	conn, err := u.sua.TransportLayer().GetConnection(transport, dst)
	if err != nil {
		return err
	}
	w, ok := conn.(io.Writer)
	if !ok {
		return errors.New("connection is not writable")
	}
	_, err = w.Write(ping)
	return err
}

// mergeDetector finds merged requests (RFC 3261 §8.2.2.2): the same
// From tag, Call-ID and CSeq arriving with another Via branch, which means
// the request looped or forked back to us.
type mergeDetector struct {
	mu      sync.Mutex
	entries map[string]mergeEntry
}

type mergeEntry struct {
	branch string
	at     time.Time
}

const mergeWindow = 32 * time.Second
const mergeMax = 4096

func (m *mergeDetector) seenBefore(key, branch string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]mergeEntry{}
	}
	if e, ok := m.entries[key]; ok && now.Sub(e.at) < mergeWindow {
		return e.branch != branch
	}
	if len(m.entries) >= mergeMax {
		for k, e := range m.entries {
			if now.Sub(e.at) >= mergeWindow || len(m.entries) >= mergeMax {
				delete(m.entries, k)
			}
		}
	}
	m.entries[key] = mergeEntry{branch: branch, at: now}
	return false
}

func (m *mergeDetector) seen(req *sip.Request) bool {
	to, from, via, cseq := req.To(), req.From(), req.Via(), req.CSeq()
	if to == nil || from == nil || via == nil || cseq == nil || req.CallID() == nil {
		return false
	}
	if _, ok := to.Params.Get("tag"); ok {
		return false
	}
	ftag, _ := from.Params.Get("tag")
	branch, _ := via.Params.Get("branch")
	key := ftag + "|" + req.CallID().Value() + "|" + cseq.Value()
	return m.seenBefore(key, branch, time.Now())
}
