package main

import (
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
