package presence

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// SIPWatchers adapts a Manager to a sipgo server: install OnSubscribe as
// the SUBSCRIBE handler. NOTIFYs go out through Client within the dialog
// the SUBSCRIBE created (route set from Record-Route, our tag, CSeq).
type SIPWatchers struct {
	Manager *Manager
	// Client returns the client for a transport ("udp", "tcp", "tls");
	// for UDP it should send from the listening socket.
	Client func(transport string) (*sipgo.Client, error)
	// Contact returns our Contact header for a dialog over transport.
	Contact func(transport string) sip.ContactHeader
	// Sent, when set, is told the outcome of every NOTIFY (metrics, logs,
	// tests).
	Sent func(n Notification, err error)
	// Admit, when set, decides whether a new subscription's SUBSCRIBE is
	// admitted, as the user agent does for calls (ua.UA.Admit: a trusted
	// proxy, a digest challenge for sip.callers, the source network); when
	// it reports false it has answered the request (401 or 403) itself.
	// Admitted requests reach the Manager with SubscribeRequest.Admitted
	// set. Refreshes within a subscription are not challenged again.
	Admit func(req *sip.Request, tx sip.ServerTransaction) (identity string, ok bool)
}

// OnSubscribe handles one SUBSCRIBE (new or within a subscription).
func (w *SIPWatchers) OnSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if len(req.Body()) > MaxBodySize {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 413, "Request Entity Too Large", nil))
		return
	}
	from, to, cid := req.From(), req.To(), req.CallID()
	if from == nil || to == nil || cid == nil || req.CSeq() == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	fromTag, _ := from.Params.Get("tag")
	toTag, inDialog := to.Params.Get("tag")
	if !inDialog {
		toTag = sip.GenerateTagN(16)
	}
	pkg, id := parseEvent(headerValue(req, "Event"))
	sr := SubscribeRequest{Event: pkg, EventID: id, From: from.Address.String(), InDialog: inDialog,
		DialogID: cid.Value() + "|" + toTag + "|" + fromTag}
	if !inDialog && w.Admit != nil {
		if sr.Identity, sr.Admitted = w.Admit(req, tx); !sr.Admitted {
			return // answered (401 or 403) and logged, rate-limited, by Admit
		}
	}
	if v := headerValue(req, "Expires"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Expires", nil))
			return
		}
		sr.Expires, sr.HasExpires = time.Duration(n)*time.Second, true
	}
	for _, h := range req.GetHeaders("Accept") {
		sr.Accept = append(sr.Accept, h.Value())
	}
	sr.Source, _ = netip.ParseAddrPort(req.Source())
	transport := strings.ToLower(req.Transport())
	dlg := &sipDialog{w: w, transport: transport, callID: cid.Value(), local: to.Address, localTag: toTag,
		remote: from.Address, remoteTag: fromTag, cseq: 1}
	if c := req.Contact(); c != nil {
		dlg.target = c.Address
	} else {
		dlg.target = from.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			dlg.routes = append(dlg.routes, rr.Address)
		}
	}
	w.Manager.Subscribe(sr, dlg, func(a SubscribeAnswer) { w.respond(req, tx, a, toTag, transport) })
}

func (w *SIPWatchers) respond(req *sip.Request, tx sip.ServerTransaction, a SubscribeAnswer, toTag, transport string) {
	res := sip.NewResponseFromRequest(req, a.Status, reasonPhrase(a.Status), nil)
	if to := res.To(); to != nil { // sipgo adds a random tag: ours names the dialog
		to.Params.Remove("tag")
		to.Params.Add("tag", toTag)
	}
	switch {
	case a.Status >= 200 && a.Status < 300:
		res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(a.Expires/time.Second))))
		if w.Contact != nil {
			c := w.Contact(transport)
			res.AppendHeader(&c)
		}
	case a.Status == 423:
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(a.MinExpires/time.Second))))
	case a.Status == 489:
		res.AppendHeader(sip.NewHeader("Allow-Events", EventPresence+", "+EventDialog))
	}
	if a.RetryAfter > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second))))
	}
	_ = tx.Respond(res)
}

func reasonPhrase(code int) string {
	switch code {
	case 200:
		return "OK"
	case 403:
		return "Forbidden"
	case 406:
		return "Not Acceptable"
	case 423:
		return "Interval Too Brief"
	case 481:
		return "Subscription Does Not Exist"
	case 489:
		return "Bad Event"
	case 503:
		return "Service Unavailable"
	}
	return "Error"
}

// parseEvent splits "dialog;id=7" into package and id.
func parseEvent(v string) (pkg, id string) {
	parts := strings.Split(v, ";")
	pkg = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "id") {
			id = strings.TrimSpace(val)
		}
	}
	return pkg, id
}

// sipDialog sends the NOTIFYs of one subscription.
type sipDialog struct {
	w         *SIPWatchers
	transport string
	callID    string
	local     sip.Uri // our address (the SUBSCRIBE's To)
	localTag  string
	remote    sip.Uri // the watcher (From)
	remoteTag string
	target    sip.Uri   // the watcher's Contact
	routes    []sip.Uri // route set, from Record-Route

	mu   sync.Mutex
	cseq uint32
}

// Notify implements Notifier.
func (d *sipDialog) Notify(ctx context.Context, n Notification) error {
	err := d.notify(ctx, n)
	if d.w.Sent != nil {
		d.w.Sent(n, err)
	}
	return err
}

func (d *sipDialog) notify(ctx context.Context, n Notification) error {
	c, err := d.w.Client(d.transport)
	if err != nil {
		return fmt.Errorf("NOTIFY %s: %w", d.target.String(), err)
	}
	d.mu.Lock()
	d.cseq++
	seq := d.cseq
	d.mu.Unlock()
	req := sip.NewRequest(sip.NOTIFY, d.target)
	from := &sip.FromHeader{Address: d.local, Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: d.remote, Params: sip.NewParams()}
	to.Params.Add("tag", d.remoteTag)
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.NOTIFY})
	for _, r := range d.routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	if d.w.Contact != nil {
		ch := d.w.Contact(d.transport)
		req.AppendHeader(&ch)
	}
	ev := n.Event
	if n.EventID != "" {
		ev += ";id=" + n.EventID
	}
	req.AppendHeader(sip.NewHeader("Event", ev))
	req.AppendHeader(sip.NewHeader("Subscription-State", n.SubscriptionState()))
	if len(n.Body) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", n.ContentType))
		req.SetBody(n.Body)
	}
	if d.transport != "" && d.transport != "udp" {
		req.SetTransport(strings.ToUpper(d.transport))
	}
	res, err := c.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("NOTIFY %s: %w", d.target.String(), err)
	}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		return fmt.Errorf("NOTIFY %s: answered %d %s", d.target.String(), res.StatusCode, res.Reason)
	}
	return nil
}
