package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Applier puts a validated configuration into force without restarting
// the process: cmd/sipbell restarts only the components whose section
// changed (re-register, re-open pins). An error means the configuration
// could not be put into force; the Manager then applies the previous one
// again. The Manager never hands Apply a context that can be cancelled:
// what Apply starts belongs to the process, not to the HTTP request or
// the fetch that brought the change.
type Applier interface {
	Apply(ctx context.Context, f File) error
}

// ApplierFunc adapts a function to Applier.
type ApplierFunc func(ctx context.Context, f File) error

// Apply calls fn.
func (fn ApplierFunc) Apply(ctx context.Context, f File) error { return fn(ctx, f) }

// Outcomes of a configuration change, as reported in Result.Outcome.
const (
	OutcomeApplied     = "applied"      // valid, in force, persisted
	OutcomeUnchanged   = "unchanged"    // same content as in force: nothing done
	OutcomeInvalid     = "invalid"      // refused whole: see Errors
	OutcomeApplyFailed = "apply-failed" // valid but could not be put into force; previous restored
	OutcomeRolledBack  = "rolled-back"  // not healthy after the change: last-known-good restored
	OutcomeFetchFailed = "fetch-failed" // pull provisioning could not fetch (see Message)
	OutcomeNotModified = "not-modified" // pull: the server said 304 or sent the same bytes
	OutcomeOff         = "off"          // pull: no URL configured or given by DHCP
)

// FieldProblem is one validation error as shown in status and the API.
type FieldProblem struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Problems lists the field errors in err (or err itself as one entry).
func Problems(err error) []FieldProblem {
	if err == nil {
		return nil
	}
	var l cfgerr.List
	if !errors.As(err, &l) {
		return []FieldProblem{{Message: err.Error()}}
	}
	out := make([]FieldProblem, len(l))
	for i, fe := range l {
		out[i] = FieldProblem{Path: fe.Path, Line: fe.Line, Message: fe.Msg}
	}
	return out
}

// Result is what became of one configuration change or fetch.
type Result struct {
	Time    time.Time      `json:"time"`
	Source  string         `json:"source"`
	Outcome string         `json:"outcome"`
	Hash    string         `json:"hash,omitempty"`
	Message string         `json:"message,omitempty"`
	Errors  []FieldProblem `json:"errors,omitempty"`
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	// Path is the configuration file changes are persisted to; the
	// previous file is kept as Path+LKGSuffix.
	Path string
	// Initial is the configuration in force when the Manager starts.
	Initial File
	// Applier puts a new configuration into force.
	Applier Applier
	// Health proves the device works (SIP answers, the device runs, every
	// account is registered) or says what does not. Nil disables health
	// rollback.
	Health func(ctx context.Context) error
	// RollbackAfter is how long a change may leave a device that was
	// healthy unhealthy before the previous configuration is restored.
	// 0 disables health rollback.
	RollbackAfter time.Duration
	// Window is how long the device must stay healthy without a break
	// for a change to be confirmed (a registration that comes up and
	// drops again does not count). 0 means RollbackAfter/4, at most a
	// minute.
	Window time.Duration
	// Clock defaults to the real clock.
	Clock clockwork.Clock
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Manager owns the configuration in force: every change is validated
// whole, applied, persisted atomically, and rolled back when it breaks
// the device. It is safe for concurrent use.
type Manager struct {
	opts ManagerOptions
	log  *slog.Logger
	clk  clockwork.Clock

	mu       sync.Mutex // serialises changes
	cur      File
	curHash  string
	last     Result
	pending  *pendingCheck
	onChange []func(File)
	onResult []func(Result)
	// armed wakes Run when a change starts waiting on its health check:
	// with nothing pending, Run sleeps (no ticker waking an idle device).
	armed chan struct{}
}

// NewManager returns a Manager for the configuration in force.
func NewManager(opts ManagerOptions) (*Manager, error) {
	if opts.Path == "" || opts.Applier == nil {
		return nil, errors.New("provisioning manager: Path and Applier are required")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	h, err := hashFile(opts.Initial)
	if err != nil {
		return nil, err
	}
	m := &Manager{opts: opts, log: opts.Log, clk: opts.Clock, cur: opts.Initial, curHash: h, armed: make(chan struct{}, 1)}
	m.resumePending()
	return m, nil
}

// PendingSuffix names the file that records a change still waiting for
// the device to prove healthy, so a restart inside RollbackAfter (a power
// cut, a crash) does not forget to roll it back.
const PendingSuffix = ".pending"

// resumePending takes up a health check that was under way when the
// process last stopped: the change is rolled back to the last-known-good
// file unless the device is healthy within RollbackAfter from now.
func (m *Manager) resumePending() {
	marker := m.opts.Path + PendingSuffix
	if _, err := os.Stat(marker); err != nil {
		return
	}
	lkg, err := LoadLastKnownGood(m.opts.Path)
	h, herr := hashFile(lkg)
	if err != nil || herr != nil || h == m.curHash || m.opts.Health == nil || m.opts.RollbackAfter <= 0 {
		_ = os.Remove(marker)
		return
	}
	m.log.Warn("a configuration change was unconfirmed when sipbell last stopped: it is rolled back unless the device is healthy soon",
		"within", m.opts.RollbackAfter)
	m.pending = &pendingCheck{deadline: m.clk.Now().Add(m.opts.RollbackAfter), previous: lkg, restore: true}
}

// setPending records (or, with nil, clears) the pending health check, on
// disk too.
func (m *Manager) setPending(p *pendingCheck) {
	m.pending = p
	if p != nil {
		select {
		case m.armed <- struct{}{}:
		default:
		}
	}
	marker := m.opts.Path + PendingSuffix
	if p == nil || !p.restore {
		if err := os.Remove(marker); err != nil && !os.IsNotExist(err) {
			m.log.Warn("could not remove the pending-change marker", "file", marker, "err", err)
		}
		return
	}
	if err := WriteFileAtomic(marker, []byte(p.deadline.UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		m.log.Warn("could not record the pending change; a restart would forget its rollback", "file", marker, "err", err)
	}
}

// Path is the configuration file changes are saved to.
func (m *Manager) Path() string { return m.opts.Path }

// Current returns the configuration in force.
func (m *Manager) Current() File {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// Last returns the result of the last change or fetch.
func (m *Manager) Last() Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Record stores r as the last result (used by pull provisioning for
// fetch failures) and logs it.
func (m *Manager) Record(r Result) {
	if r.Time.IsZero() {
		r.Time = m.clk.Now()
	}
	m.mu.Lock()
	m.last = r
	m.mu.Unlock()
	m.logResult(r)
}

// Submit parses data (YAML over the defaults) and, when valid and
// different from the configuration in force, applies and persists it.
// An invalid document changes nothing; the returned error wraps
// ErrInvalid and Result.Errors lists every problem with path and line.
func (m *Manager) Submit(ctx context.Context, source string, data []byte) (Result, error) {
	f, err := Parse(data)
	if err != nil {
		r := Result{Time: m.clk.Now(), Source: source, Outcome: OutcomeInvalid, Message: "configuration refused, nothing changed", Errors: Problems(err)}
		m.Record(r)
		return r, err
	}
	return m.Replace(ctx, source, f)
}

// Replace validates f whole and, when it differs from the configuration
// in force, applies and persists it (see Submit).
func (m *Manager) Replace(ctx context.Context, source string, f File) (Result, error) {
	return m.ReplaceDocument(ctx, source, f, nil)
}

// ReplaceDocument is Replace that, when f is applied, saves doc (the
// YAML document f was parsed from, comments and all) as the file instead
// of every field of f. A nil doc saves f marshalled whole.
func (m *Manager) ReplaceDocument(ctx context.Context, source string, f File, doc []byte) (Result, error) {
	if err := f.Validate(); err != nil {
		err = wrapList(err)
		r := Result{Time: m.clk.Now(), Source: source, Outcome: OutcomeInvalid, Message: "configuration refused, nothing changed", Errors: Problems(err)}
		m.Record(r)
		return r, err
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return Result{}, fmt.Errorf("marshal config: %w", err)
	}
	h := hashBytes(data)
	m.mu.Lock()
	if doc == nil {
		doc = data
	}
	r, err := m.replaceLocked(ctx, source, f, doc, h)
	m.last = r
	hooks := m.onChange
	cur := m.cur
	m.mu.Unlock()
	m.logResult(r)
	if r.Outcome == OutcomeApplied {
		for _, fn := range hooks {
			fn(cur)
		}
	}
	return r, err
}

func (m *Manager) replaceLocked(ctx context.Context, source string, f File, data []byte, h string) (Result, error) {
	r := Result{Time: m.clk.Now(), Source: source, Hash: h}
	if h == m.curHash {
		r.Outcome = OutcomeUnchanged
		return r, nil
	}
	before := m.probe(ctx)
	prev := m.cur
	// The change outlives the request or fetch that brought it.
	ctx = context.WithoutCancel(ctx)
	if err := m.opts.Applier.Apply(ctx, f); err != nil {
		r.Outcome, r.Message = OutcomeApplyFailed, "could not apply, previous configuration restored: "+err.Error()
		if rerr := m.opts.Applier.Apply(ctx, prev); rerr != nil {
			r.Message += "; restoring the previous one failed too: " + rerr.Error()
		}
		return r, fmt.Errorf("apply config from %s: %w", source, err)
	}
	m.cur, m.curHash = f, h
	if err := persist(m.opts.Path, data); err != nil {
		// In force but not saved: say so; the next boot uses the old file.
		r.Outcome, r.Message = OutcomeApplied, "applied but not saved: "+err.Error()
		return r, err
	}
	r.Outcome = OutcomeApplied
	m.setPending(m.newPending(prev, before, &r))
	return r, nil
}

// OnChange registers fn to be called (outside the Manager's lock) with
// every configuration that was applied, including rollbacks.
func (m *Manager) OnChange(fn func(File)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onChange = append(m.onChange, fn)
}

// OnResult registers fn to be called (outside the Manager's lock) with
// every result: each change's outcome, rollbacks, pull fetches.
func (m *Manager) OnResult(fn func(Result)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onResult = append(m.onResult, fn)
}

func (m *Manager) logResult(r Result) {
	m.mu.Lock()
	hooks := m.onResult
	m.mu.Unlock()
	for _, fn := range hooks {
		fn(r)
	}
	args := []any{"source", r.Source, "outcome", r.Outcome}
	if r.Hash != "" {
		args = append(args, "hash", r.Hash)
	}
	if r.Message != "" {
		args = append(args, "detail", r.Message)
	}
	for _, p := range r.Errors {
		args = append(args, "error", fmt.Sprintf("line %d: %s: %s", p.Line, p.Path, p.Message))
	}
	switch r.Outcome {
	case OutcomeApplied, OutcomeUnchanged, OutcomeNotModified:
		m.log.Info("configuration", args...)
	default:
		m.log.Warn("configuration", args...)
	}
}

// LoadLastKnownGood reads path+LKGSuffix, for a boot whose config file
// is unusable.
func LoadLastKnownGood(path string) (File, error) {
	f, err := Load(path + LKGSuffix)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		return f, fmt.Errorf("no last-known-good config: %w", err)
	}
	return f, err
}

func hashFile(f File) (string, error) {
	data, err := yaml.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("marshal config: %w", err)
	}
	return hashBytes(data), nil
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}
