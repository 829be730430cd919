package ua

import (
	"bytes"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Limits bound what strangers can make the device spend ("sip.limits:").
// The registrar and outbound proxy of each account (by address and port)
// are never limited; everyone else, allowed callers included, is. Each
// field's 0 means its default.
type Limits struct {
	// SourceRate is how many SIP messages per second one source address
	// (an IPv6 /64) may send on average; more are dropped unanswered.
	SourceRate int `yaml:"source_rate"`
	// SourceBurst is how many messages one source may send at once above
	// SourceRate (a call's INVITE, ACK, INFO digits and BYE fit easily).
	SourceBurst int `yaml:"source_burst"`
	// GlobalRate is how many requests per second all sources together
	// may send, so that no crowd of addresses gets around SourceRate;
	// allow_from networks and the registrar are not counted.
	GlobalRate int `yaml:"global_rate"`
	// GlobalBurst is how many requests all sources may send at once above
	// GlobalRate.
	GlobalBurst int `yaml:"global_burst"`
	// MaxSources is how many source addresses are tracked; past it, new
	// sources share one SourceRate between them.
	MaxSources int `yaml:"max_sources"`
	// BlockAfter is how many refused requests (not allowed to call, a
	// failed challenge, a malformed message) within BlockFor make the
	// guard drop everything from that source for BlockFor.
	BlockAfter int `yaml:"block_after"`
	// BlockFor is how long a failing source or a scanner stays blocked.
	BlockFor time.Duration `yaml:"block_for"`
	// ScannerUserAgents are more User-Agent substrings (any case) whose
	// requests are dropped unanswered and their source blocked, besides
	// the built-in friendly-scanner, friendly-request, sipvicious, sipcli,
	// sip-scan, sundayddr, iWar, SIVuS, VaxSIPUserAgent, VaxIPUserAgent
	// and pplsip.
	ScannerUserAgents []string `yaml:"scanner_user_agents"`
	// MemoryLimitMiB is the memory ceiling of the whole process in MiB,
	// set as the Go runtime's soft limit (like GOMEMLIMIT) when SIP starts;
	// above three quarters of it, requests from strangers are dropped
	// until memory is back down, leaving the rest for the registrar, the
	// call and the admin page. 64 suits a Pi Zero (512 MB); -1 leaves the
	// runtime's limit (GOMEMLIMIT) alone.
	MemoryLimitMiB int `yaml:"memory_limit_mib"`
}

// DefaultLimits returns the limits used when the file sets none: sized
// for a Raspberry Pi Zero.
func DefaultLimits() Limits {
	return Limits{SourceRate: 20, SourceBurst: 60, GlobalRate: 200, GlobalBurst: 400,
		MaxSources: 4096, BlockAfter: 20, BlockFor: 5 * time.Minute, MemoryLimitMiB: 64}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.SourceRate, d.SourceRate)
	set(&l.SourceBurst, d.SourceBurst)
	set(&l.GlobalRate, d.GlobalRate)
	set(&l.GlobalBurst, d.GlobalBurst)
	set(&l.MaxSources, d.MaxSources)
	set(&l.BlockAfter, d.BlockAfter)
	set(&l.MemoryLimitMiB, d.MemoryLimitMiB)
	if l.BlockFor == 0 {
		l.BlockFor = d.BlockFor
	}
	return l
}

func (l Limits) validate() error {
	var errs cfgerr.List
	rng := func(path string, v, lo, hi int) {
		if v != 0 && (v < lo || v > hi) {
			errs.Add(path, "must be %d..%d, got %d", lo, hi, v)
		}
	}
	rng("source_rate", l.SourceRate, 1, 10000)
	rng("source_burst", l.SourceBurst, 1, 100000)
	rng("global_rate", l.GlobalRate, 1, 100000)
	rng("global_burst", l.GlobalBurst, 1, 1000000)
	rng("max_sources", l.MaxSources, 16, 1<<20)
	rng("block_after", l.BlockAfter, 1, 1000000)
	if l.BlockFor != 0 && (l.BlockFor < time.Second || l.BlockFor > 24*time.Hour) {
		errs.Add("block_for", "must be 1s..24h, got %v", l.BlockFor)
	}
	if l.MemoryLimitMiB != -1 {
		rng("memory_limit_mib", l.MemoryLimitMiB, 16, 1<<20)
	}
	for i, s := range l.ScannerUserAgents {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\r\n") {
			errs.Add(cfgerr.Index("scanner_user_agents", i), "must be a non-empty one-line string")
		}
	}
	return errs.Err()
}

// applyMemoryLimit sets the process's soft memory limit (process-wide:
// the last UA to start wins) and returns it in bytes.
func (l Limits) applyMemoryLimit() int64 {
	if l.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(l.MemoryLimitMiB) << 20)
	}
	return debug.SetMemoryLimit(-1)
}

// scannerAgents are User-Agent substrings of SIP scanners and war-dialers
// (lower case).
var scannerAgents = []string{"friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sundayddr",
	"iwar", "sivus", "vaxsipuseragent", "vaxipuseragent", "pplsip", "friendly-request"}

// scanner reports whether the raw request carries a scanner's User-Agent.
func (g *guard) scanner(data []byte) bool {
	ua := rawHeader(data, "user-agent")
	if len(ua) == 0 {
		return false
	}
	low := bytes.ToLower(ua)
	for _, s := range scannerAgents {
		if bytes.Contains(low, []byte(s)) {
			return true
		}
	}
	for _, s := range g.lim.ScannerUserAgents {
		if bytes.Contains(low, []byte(strings.ToLower(s))) {
			return true
		}
	}
	return false
}

// rawHeader returns the value of the first header called name (lower
// case) in a raw message, without parsing the rest; nil if none.
func rawHeader(data []byte, name string) []byte {
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return nil // end of headers
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte(name)) {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}
