package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// sipTracer logs every SIP message sent and received, one log line each,
// while on (-sip-trace or sip.trace). sipgo's tracing hook is process-wide,
// so main installs one tracer for the process and each core turns it on
// or off.
type sipTracer struct {
	on  atomic.Bool
	log *slog.Logger
}

// processTracer is the one tracer sipgo's process-wide hook calls.
var processTracer struct {
	once sync.Once
	t    *sipTracer
}

// installSIPTracer hooks the process's tracer into sipgo's transports (the
// first call, before any user agent starts) and returns it.
func installSIPTracer(log *slog.Logger) *sipTracer {
	processTracer.once.Do(func() {
		processTracer.t = &sipTracer{log: log.With("component", "sip")}
		sip.SIPDebugTracer(processTracer.t)
		sip.SIPDebug = true
		// sipgo's own package-level log lines (e.g. "TCP ref went
		// negative" when a connection is closed twice) go to our log,
		// and only errors unless SIP tracing is on.
		sip.SetDefaultLogger(slog.New(quietUnlessTracing{h: log.With("component", "sipgo").Handler(), t: processTracer.t}))
	})
	return processTracer.t
}

// SIPTraceRead implements sip.SIPTracer.
func (t *sipTracer) SIPTraceRead(transport, laddr, raddr string, msg []byte) {
	if t.on.Load() {
		t.log.Info("sip recv", "transport", transport, "local", laddr, "remote", raddr, "msg", string(msg))
	}
}

// SIPTraceWrite implements sip.SIPTracer.
func (t *sipTracer) SIPTraceWrite(transport, laddr, raddr string, msg []byte) {
	if t.on.Load() {
		t.log.Info("sip send", "transport", transport, "local", laddr, "remote", raddr, "msg", string(msg))
	}
}

// quietUnlessTracing passes sipgo's package-level records to h: errors
// always, the rest only while SIP tracing is on.
type quietUnlessTracing struct {
	h slog.Handler
	t *sipTracer
}

func (q quietUnlessTracing) Enabled(ctx context.Context, l slog.Level) bool {
	return (l >= slog.LevelError || q.t.on.Load()) && q.h.Enabled(ctx, l)
}

func (q quietUnlessTracing) Handle(ctx context.Context, r slog.Record) error {
	return q.h.Handle(ctx, r)
}

func (q quietUnlessTracing) WithAttrs(as []slog.Attr) slog.Handler {
	return quietUnlessTracing{h: q.h.WithAttrs(as), t: q.t}
}

func (q quietUnlessTracing) WithGroup(name string) slog.Handler {
	return quietUnlessTracing{h: q.h.WithGroup(name), t: q.t}
}
