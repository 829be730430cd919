package provisioning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// errNoHealthCheck is what probe reports when no Health func is set.
var errNoHealthCheck = errors.New("no health check configured")

// pendingCheck is a change (or a rollback) whose health is being proved.
type pendingCheck struct {
	deadline time.Time // not confirmed by then: roll back (or give up)
	previous File      // what a rollback restores (when restore)
	restore  bool      // false: a rollback being verified, nothing older to restore
	since    time.Time // start of the current healthy streak; zero while unhealthy
	lastErr  error     // why the last probe failed
}

// window is how long the device must stay healthy to confirm a change.
func (m *Manager) window() time.Duration {
	if m.opts.Window > 0 {
		return m.opts.Window
	}
	return min(m.opts.RollbackAfter/4, time.Minute)
}

// probe runs the health check once.
func (m *Manager) probe(ctx context.Context) error {
	if m.opts.Health == nil {
		return errNoHealthCheck
	}
	return m.opts.Health(ctx)
}

// newPending is the health check that follows a change from prev; before
// is what the health check said just before it. A device that was not
// healthy before is watched and reported on, but not rolled back: the
// older configuration was no better.
func (m *Manager) newPending(prev File, before error, r *Result) *pendingCheck {
	if m.opts.Health == nil || m.opts.RollbackAfter <= 0 {
		return nil
	}
	p := &pendingCheck{deadline: m.clk.Now().Add(m.opts.RollbackAfter), previous: prev, restore: before == nil}
	if p.restore {
		r.Message = fmt.Sprintf("kept if the device proves healthy (SIP answers, registered) for %s within %s", m.window(), m.opts.RollbackAfter)
	} else {
		r.Message = fmt.Sprintf("the device was not healthy before this change (%v), so it is not rolled back; watching for %s", before, m.opts.RollbackAfter)
	}
	return p
}

// Run watches health after each change: a change is confirmed when the
// device stays healthy for the window, and rolled back to the previous
// configuration when it has not by RollbackAfter; the rollback is then
// watched the same way. It returns when ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	if m.opts.Health == nil || m.opts.RollbackAfter <= 0 {
		<-ctx.Done()
		return nil
	}
	every := min(time.Second, m.opts.RollbackAfter/10)
	for {
		if !m.isPending() {
			select { // idle: sleep until a change is pending
			case <-ctx.Done():
				return nil
			case <-m.armed:
			}
		}
		m.watch(ctx, every)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// isPending tells whether a change waits on its health check.
func (m *Manager) isPending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending != nil
}

// watch checks health every interval while a change is pending.
func (m *Manager) watch(ctx context.Context, every time.Duration) {
	t := m.clk.NewTicker(every)
	defer t.Stop()
	for m.isPending() {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			m.checkHealth(ctx)
		}
	}
}

// checkHealth probes the device (without the Manager's lock: a probe
// takes a network round trip) and confirms, waits on, or rolls back the
// pending change.
func (m *Manager) checkHealth(ctx context.Context) {
	m.mu.Lock()
	p := m.pending
	m.mu.Unlock()
	if p == nil {
		return
	}
	err := m.probe(ctx)
	m.mu.Lock()
	if m.pending != p { // a newer change took over meanwhile
		m.mu.Unlock()
		return
	}
	now := m.clk.Now()
	switch {
	case err != nil:
		if !p.since.IsZero() {
			m.log.Warn("device not healthy after the change", "err", err)
		}
		p.since, p.lastErr = time.Time{}, err
	case p.since.IsZero():
		p.since = now
	}
	if err == nil && now.Sub(p.since) >= m.window() {
		m.confirmLocked(p)
		m.mu.Unlock()
		return
	}
	if now.Before(p.deadline) || err == nil {
		// Still within the time allowed, or healthy and proving it.
		m.mu.Unlock()
		return
	}
	m.expireLocked(ctx, p)
}

// confirmLocked ends the pending check: the device proved healthy.
func (m *Manager) confirmLocked(p *pendingCheck) {
	m.setPending(nil)
	msg := fmt.Sprintf("confirmed: the device stayed healthy for %s", m.window())
	if m.last.Message != "" && m.last.Outcome == OutcomeRolledBack {
		msg = m.last.Message + "; the restored configuration is healthy"
	}
	m.last.Message = msg
	m.log.Info("configuration change confirmed: device healthy", "for", m.window())
}

// expireLocked handles a pending check whose time ran out with the
// device unhealthy: roll back, or (for a rollback) say that nothing
// better is left. It releases the Manager's lock.
func (m *Manager) expireLocked(ctx context.Context, p *pendingCheck) {
	if !p.restore {
		m.setPending(nil)
		m.last.Message += fmt.Sprintf("; still not healthy after %s: %v", m.opts.RollbackAfter, p.lastErr)
		m.mu.Unlock()
		m.log.Error("device still not healthy, and there is no older configuration to go back to",
			"after", m.opts.RollbackAfter, "err", p.lastErr)
		return
	}
	m.setPending(nil)
	r := m.rollbackLocked(ctx, p.previous, p.lastErr)
	m.last = r
	if r.Outcome == OutcomeRolledBack {
		// The rollback is proved the same way.
		m.setPending(&pendingCheck{deadline: m.clk.Now().Add(m.opts.RollbackAfter)})
	}
	hooks, cur := m.onChange, m.cur
	m.mu.Unlock()
	m.logResult(r)
	if r.Outcome == OutcomeRolledBack {
		for _, fn := range hooks {
			fn(cur)
		}
	}
}

func (m *Manager) rollbackLocked(ctx context.Context, prev File, why error) Result {
	r := Result{Time: m.clk.Now(), Source: "rollback", Outcome: OutcomeRolledBack}
	data, err := yaml.Marshal(prev)
	if err != nil {
		r.Message = err.Error()
		return r
	}
	r.Hash = hashBytes(data)
	if err := m.opts.Applier.Apply(context.WithoutCancel(ctx), prev); err != nil {
		r.Outcome, r.Message = OutcomeApplyFailed, "rollback could not apply the last-known-good configuration: "+err.Error()
		return r
	}
	m.cur, m.curHash = prev, r.Hash
	r.Message = fmt.Sprintf("device not healthy %s after the change (%v): last-known-good restored", m.opts.RollbackAfter, why)
	if err := WriteFileAtomic(m.opts.Path, data, 0o600); err != nil {
		r.Message += "; saving it failed: " + err.Error()
	}
	return r
}
