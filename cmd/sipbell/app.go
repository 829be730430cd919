package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/provisioning"
)

// app holds the running firmware and applies new configurations live: the
// "core" (board, SIP user agent, device logic) is rebuilt from the new
// file without restarting the process, and rebuilt from the old one when
// the new one fails to start. It implements provisioning.Applier.
type app struct {
	o      options
	stdout io.Writer
	log    *slog.Logger
	lines  chan string // terminal lines for the simulated board

	mu   sync.Mutex // serialises Apply; guards cfg, core and the SIP address
	cfg  provisioning.File
	core *core
	// sipSpec is the listen setting the running core was started with
	// (after -sip-listen), sipBound the address it got: a new core with
	// the same setting keeps the port when the setting's port is 0.
	sipSpec, sipBound string

	sim    atomic.Pointer[http.Handler] // the current sim board's controls
	errc   chan error                   // a core part that failed
	resync atomic.Pointer[func()]       // pull provisioning's SyncNow, once running
	trace  *sipTracer                   // SIP message log, on per configuration
	hist   *history.Log                 // the event history; nil when not kept
	fw     *firmware                    // the firmware updater; nil before serve wires it
	trim   *memTrim                     // gives memory back when the device is quiet (trim.go)
}

func newApp(o options, stdin io.Reader, stdout io.Writer, log *slog.Logger) *app {
	a := &app{o: o, stdout: stdout, log: log, lines: make(chan string), errc: make(chan error, 1),
		trace: installSIPTracer(log), trim: newMemTrim(log)}
	if stdin != nil {
		go readLines(stdin, a.lines)
	}
	return a
}

// readLines feeds the lines a person types to whichever simulated board is
// current. It ends with stdin.
func readLines(r io.Reader, out chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out <- sc.Text()
	}
}

// start brings the first core up.
func (a *app) start(ctx context.Context, cfg provisioning.File) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.startCore(ctx, cfg)
	if err != nil {
		return err
	}
	a.cfg, a.core = cfg, c
	return nil
}

// coreSections are the parts of the file that the core is built from
// (presence and notifications run inside the core).
func coreSections(f provisioning.File) []any {
	return []any{f.SIP, f.Media, f.Audio, f.Board, f.Device, f.Presence, f.Notify}
}

// Apply makes f the running configuration. When only sections outside the
// core changed (provisioning), the core keeps running.
func (a *app) Apply(ctx context.Context, f provisioning.File) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if reflect.DeepEqual(coreSections(a.cfg), coreSections(f)) {
		recordConfigChange(a.hist, a.log, a.cfg, f)
		a.cfg = f
		a.fw.consider(f.Provisioning)
		return nil
	}
	a.log.Info("applying new configuration: restarting board, SIP and device")
	old := a.cfg
	a.core.stop(a.log)
	c, err := a.startCore(ctx, f)
	if err != nil {
		a.log.Error("new configuration failed to start; restoring the previous one", "err", err)
		if c, rerr := a.startCore(ctx, old); rerr == nil {
			a.core = c
		} else {
			a.log.Error("previous configuration failed to start too", "err", rerr)
			a.fail(fmt.Errorf("restore configuration: %w", rerr))
		}
		return err
	}
	recordConfigChange(a.hist, a.log, old, f)
	a.cfg, a.core = f, c
	a.fw.consider(f.Provisioning)
	return nil
}

// awaitSIP waits (at most shutdownGrace) until the running user agent
// serves, so "ready" is said when it is true.
func (a *app) awaitSIP(ctx context.Context) {
	a.mu.Lock()
	c := a.core
	a.mu.Unlock()
	if c == nil {
		return
	}
	select {
	case <-c.agent.Ready():
	case <-ctx.Done():
	case <-time.After(shutdownGrace):
		a.log.Warn("SIP is not serving yet", "after", shutdownGrace)
	}
}

// Running returns the configuration in force.
func (a *app) Running() provisioning.File {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// SIPAddr is where the current user agent listens.
func (a *app) SIPAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.core == nil {
		return ""
	}
	return a.core.agent.Addr().String()
}

// SimHandler serves the current simulated board's controls (404 when the
// board is real). It stays valid across configuration changes.
func (a *app) SimHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := a.sim.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "this board is not simulated", http.StatusNotFound)
	})
}

// checkSync is the UA's NOTIFY check-sync: fetch the configuration now,
// and check the firmware manifest (update.go).
func (a *app) checkSync() {
	if f := a.resync.Load(); f != nil {
		(*f)()
	}
	a.mu.Lock()
	fw := a.fw
	a.mu.Unlock()
	if fw != nil {
		fw.checkNow()
	}
}

// stop ends the running core.
func (a *app) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.core != nil {
		a.core.stop(a.log)
		a.core = nil
	}
}

// fail reports a part that stopped on its own; serve then exits (crash-only:
// systemd restarts us).
func (a *app) fail(err error) {
	select {
	case a.errc <- err:
	default:
	}
}
