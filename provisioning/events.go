package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// GET /api/events is the page's live view: server-sent events, one
// "status" event (the body of GET /api/status) at once and then each
// time the status changes (looked at every statusEvery), a keep-alive
// comment when nothing was sent for keepAliveEvery. At most
// maxEventStreams are open at a time (more get 503); a stream ends when
// its login session ends (logout, a changed password), when the server
// stops, or when the page goes away.

const (
	maxEventStreams = 8
	statusEvery     = time.Second
	keepAliveEvery  = 15 * time.Second
	// eventWriteTimeout bounds each write to a stream (the server's
	// WriteTimeout would end a stream after 30 s).
	eventWriteTimeout = 10 * time.Second
)

// eventStreams counts the open streams of one Admin.
type eventStreams struct {
	open atomic.Int32
}

func (a *Admin) events(w http.ResponseWriter, r *http.Request) {
	if a.streams.open.Add(1) > maxEventStreams {
		a.streams.open.Add(-1)
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("too many live pages open (at most %d)", maxEventStreams))
		return
	}
	defer a.streams.open.Add(-1)
	token := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		token = c.Value
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := a.clk.NewTicker(statusEvery)
	defer tick.Stop()
	var last []byte
	lastSent := a.clk.Now()
	for {
		body, err := json.Marshal(a.statusValue(r.Context()))
		if err != nil {
			return
		}
		now := a.clk.Now()
		var msg string
		switch {
		case string(body) != string(last):
			msg, last, lastSent = "event: status\ndata: "+string(body)+"\n\n", body, now
		case now.Sub(lastSent) >= keepAliveEvery:
			msg, lastSent = ": keep-alive\n\n", now
		}
		if msg != "" {
			_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
			if _, err := w.Write([]byte(msg)); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-a.quit:
			return
		case <-tick.Chan():
		}
		if token != "" && !a.sessions.alive(token) {
			return // logged out, or the password changed
		}
	}
}

// statusValue is the body of GET /api/status.
func (a *Admin) statusValue(ctx context.Context) map[string]any {
	ps := ProvisioningStatus{LastChange: a.opts.Manager.Last()}
	if p := a.opts.Pull; p != nil {
		last := p.Last()
		ps.LastFetch, ps.URL = &last, p.URL()
		if ar, ok := p.(interface{ AgeRecipient() string }); ok {
			ps.AgeRecipient = ar.AgeRecipient()
		}
	}
	out := map[string]any{"provisioning": ps, "time": a.clk.Now().UTC()}
	if a.opts.Status != nil {
		out["device"] = a.opts.Status.Status(ctx)
	}
	return out
}
