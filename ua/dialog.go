package ua

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// serverDialog is the dialog of a call we answer: the caller's Call-ID,
// our To tag and its From tag.
func serverDialog(ds *sipgo.DialogServerSession) DialogID {
	req := ds.InviteRequest
	d := DialogID{}
	if h := req.CallID(); h != nil {
		d.CallID = h.Value()
	}
	if to := req.To(); to != nil {
		d.LocalTag, _ = to.Params.Get("tag")
	}
	if from := req.From(); from != nil {
		d.RemoteTag, _ = from.Params.Get("tag")
	}
	return d
}

// clientDialog is the dialog of a call we place, as res (a provisional
// or final answer to req) shows it: our Call-ID and From tag, and the
// callee's To tag once it sent one.
func clientDialog(req *sip.Request, res *sip.Response) DialogID {
	d := DialogID{}
	if h := req.CallID(); h != nil {
		d.CallID = h.Value()
	}
	if from := req.From(); from != nil {
		d.LocalTag, _ = from.Params.Get("tag")
	}
	if res != nil {
		if to := res.To(); to != nil {
			d.RemoteTag, _ = to.Params.Get("tag")
		}
	}
	return d
}

// setDialog records the call's dialog (c.mu not held).
func (c *call) setDialog(d DialogID) {
	c.mu.Lock()
	c.dialog = d
	c.mu.Unlock()
}
