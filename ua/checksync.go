package ua

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// WithCheckSync calls f when an admitted server (an account's registrar or
// proxy, or an allow-listed source) sends NOTIFY with Event: check-sync:
// the PBX asking its phones to fetch their configuration again. f must not
// block; the UA answers 200 before calling it.
func WithCheckSync(f func()) Option { return func(u *UA) { u.checkSync = f } }

// onNotify handles out-of-dialog NOTIFY. sipbell subscribes to nothing,
// so the events it takes are check-sync and, with WithMessageWaiting, the
// unsolicited message-summary PBXes send; any other gets 489 Bad Event.
func (u *UA) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if !u.precheck(req, tx) {
		return
	}
	if u.onReferNotify(req, tx) { // a transfer we asked for (refer_out.go)
		return
	}
	if !u.admitted(req) { // a NOTIFY cannot be challenged: proxy or network only
		src, _ := netip.ParseAddrPort(req.Source())
		u.refused(req, Caller{Claimed: fromURI(req), Source: src}, "caller not allowed")
		u.respond(tx, req, 403)
		tx.Terminate()
		return
	}
	event := ""
	if h := req.GetHeader("Event"); h != nil {
		event, _, _ = strings.Cut(h.Value(), ";")
		event = strings.ToLower(strings.TrimSpace(event))
	}
	if event == "message-summary" && u.mwi != nil { // mwi.go
		u.onMessageSummary(req, tx)
		return
	}
	if event != "check-sync" {
		u.respond(tx, req, 489)
		return
	}
	u.respond(tx, req, 200)
	u.log.Info("configuration resync requested", "from", fromURI(req), "source", req.Source())
	if u.checkSync != nil {
		u.checkSync()
	}
}
