package device

import (
	"context"
	"errors"
	"slices"
	"time"
)

// This file takes the argon2id work of door.access codes off the door's
// goroutine: a code entered is looked up by one check worker (on a Pi
// Zero each user's hash costs about a third of a second), and its
// outcome comes back to the door as a message, so that buttons, calls
// and hang-ups are handled while a code is being checked.

// maxPendingChecks bounds the codes waiting for the check worker, and
// maxSourceChecks those of one source: a second code keyed quickly after
// a first is checked after it, and ignored when the first locked the
// source out, so that no source gets more tries than max_failures.
const (
	maxPendingChecks = 4
	maxSourceChecks  = 2
)

// ErrCheckBusy is the code not checked because its source has
// maxSourceChecks codes being checked, or too many codes are waiting.
var ErrCheckBusy = errors.New("another code is being checked")

// checkJob is one code for the check worker.
type checkJob struct {
	source, code, how string
	at                time.Time     // when the code was entered
	legacy            string        // who door.code opens for when the code is nobody's ("": nobody)
	users             []*accessUser // the users when the code was entered
	access            *access       // the table the users belong to
	result            *accessUser   // set by the worker: whose code it is, nil: nobody's
	match             func(codeHash, string) bool
}

// checkDone is a checked job on its way back to the door.
type checkDone checkJob

// run settles the checked code on the door's goroutine.
func (c checkDone) run(ctx context.Context, m machine) {
	if d, ok := m.(*door); ok {
		d.settleCode(ctx, checkJob(c))
	}
}

// submitCheck hands code to the check worker, starting it on first use.
func (m *door) submitCheck(ctx context.Context, j checkJob) {
	if m.pending[j.source] >= maxSourceChecks || m.pendingAll >= maxPendingChecks {
		m.refuse("busy:"+j.source, "door code ignored: "+ErrCheckBusy.Error(), "source", j.source, "how", j.how)
		return
	}
	if m.checks == nil {
		m.checks = make(chan checkJob, maxPendingChecks)
		m.checkDone = make(chan struct{})
		go m.d.checkWorker(ctx, m.checks, m.checkDone)
	}
	j.users, j.access, j.match = m.access.users, m.access, m.d.codeMatch
	if j.match == nil {
		j.match = codeHash.matches
	}
	if m.pending == nil {
		m.pending = map[string]int{}
	}
	m.pending[j.source]++
	m.pendingAll++
	m.checks <- j // never blocks: at most maxPendingChecks are pending
}

// checkWorker looks codes up until ctx ends, and sends each result to
// Run; it closes done when it returns.
func (d *Device) checkWorker(ctx context.Context, jobs <-chan checkJob, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			j.result = find(j.users, j.code, func(h codeHash, code string) bool {
				return ctx.Err() == nil && j.match(h, code)
			})
			if d.send(ctx, checkDone(j)) != nil {
				return
			}
		}
	}
}

// settleCode counts a checked code and opens what it opens.
func (m *door) settleCode(ctx context.Context, j checkJob) {
	if m.pending[j.source]--; m.pending[j.source] <= 0 {
		delete(m.pending, j.source)
	}
	m.pendingAll--
	defer m.releaseSyncs()
	if j.access != m.access { // the table was replaced meanwhile
		return
	}
	if err := m.access.locked(j.source, j.at); err != nil { // by the code before
		m.refuse("locked:"+j.source, "door code ignored: locked out", "source", j.source, "how", j.how, "reason", err.Error())
		return
	}
	if j.result != nil && !slices.Contains(m.access.users, j.result) {
		j.result = nil // revoked while it was checked
	}
	u, err := m.access.settle(j.source, j.result, j.at, j.legacy == "")
	if err == nil && u.counted() {
		m.saveAccess()
	}
	switch {
	case j.legacy != "" && errors.Is(err, ErrWrongCode):
		_ = m.openDoor(ctx, j.legacy)
	case err == nil:
		who := "code:" + u.Name
		for _, r := range u.relays() {
			_ = m.openRelay(ctx, r, who, j.how)
		}
	case errors.Is(err, ErrCodeNotNow):
		m.d.log.Info("door not opened: the code is not valid now", "user", u.Name, "how", j.how, "reason", err.Error())
	case errors.Is(err, ErrNowLockedOut): // once per lock-out and source
		m.d.log.Warn("door codes locked out: too many wrong codes", "source", j.source, "how", j.how,
			"for", m.access.lockout)
		m.d.emit(Event{Kind: EventLockout, Who: j.source, How: j.how, Open: m.access.lockout})
	default:
		m.refuse(j.source, "door not opened: wrong code", "source", j.source, "how", j.how)
	}
}

// park holds a sync request until no code is being checked, so that
// tests see the outcome of the codes entered; it reports whether it
// held s.
func (m *door) park(s syncReq) bool {
	if len(m.pending) == 0 {
		return false
	}
	m.syncs = append(m.syncs, s)
	return true
}

// releaseSyncs answers the parked sync requests once no code is pending.
func (m *door) releaseSyncs() {
	if len(m.pending) > 0 {
		return
	}
	for _, s := range m.syncs {
		close(s)
	}
	m.syncs = nil
}

// stopChecks waits for the check worker, which ends with Run's context
// after the hash it is computing.
func (m *door) stopChecks() {
	if m.checkDone != nil {
		<-m.checkDone
	}
	m.pending, m.pendingAll = nil, 0
	m.releaseSyncs()
}
