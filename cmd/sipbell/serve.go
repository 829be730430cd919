package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/sipbell/sipbell/provisioning"
)

// shutdownGrace bounds how long a clean shutdown may take before the
// process exits anyway.
const shutdownGrace = 2 * time.Second

// loadConfig reads the configuration file. The default path may be absent
// (a fresh install, or a laptop): then the defaults are used.
func loadConfig(o options, log *slog.Logger) (provisioning.File, bool) {
	cfg, err := provisioning.Load(o.configPath)
	switch {
	case err == nil:
		log.Info("config loaded", "file", o.configPath)
	case errors.Is(err, os.ErrNotExist) && o.configPath == provisioning.DefaultPath:
		log.Info("no config file, using defaults", "file", o.configPath)
		cfg = provisioning.Default()
	default:
		log.Error("config rejected", "err", err)
		if !errors.Is(err, provisioning.ErrInvalid) {
			return cfg, false
		}
		// A broken file (edited by hand) must not brick the device: the
		// last configuration that ran well is still there.
		lkg, lerr := provisioning.LoadLastKnownGood(o.configPath)
		if lerr != nil {
			log.Error("no usable last-known-good configuration", "err", lerr)
			return cfg, false
		}
		log.Warn("running on the last-known-good configuration; fix or replace the config file",
			"file", o.configPath+provisioning.LKGSuffix)
		cfg = lkg
	}
	return cfg, true
}

// startOrFallBack starts the firmware on cfg; when that fails (a valid
// file the device cannot run: a board that is not there, a port in use),
// it starts on the last-known-good file instead, so a bad configuration
// cannot keep a device in a restart loop.
func startOrFallBack(ctx context.Context, a *app, o options, cfg provisioning.File, log *slog.Logger) (provisioning.File, bool) {
	err := a.start(ctx, cfg)
	if err == nil {
		return cfg, true
	}
	log.Error("start failed", "err", err)
	lkg, lerr := provisioning.LoadLastKnownGood(o.configPath)
	if lerr != nil || reflect.DeepEqual(lkg, cfg) {
		return cfg, false
	}
	log.Warn("starting on the last-known-good configuration instead", "file", o.configPath+provisioning.LKGSuffix)
	if err := a.start(ctx, lkg); err != nil {
		log.Error("start failed on the last-known-good configuration too", "err", err)
		return cfg, false
	}
	return lkg, true
}

// serve runs the firmware until SIGINT/SIGTERM and returns the exit code.
func serve(o options, stdin io.Reader, stdout io.Writer, log *slog.Logger) int {
	log.Info("starting", "version", versionString(), "gomaxprocs", runtime.GOMAXPROCS(0),
		"memlimit_mib", debug.SetMemoryLimit(-1)>>20)
	// A save cut short by a crash or power loss leaves temporary files
	// beside the configuration: they are never read, so remove them.
	if removed, err := provisioning.CleanTemp(o.configPath); err != nil {
		log.Warn("could not remove leftover temporary files", "err", err)
	} else if len(removed) > 0 {
		log.Info("removed temporary files left by an interrupted save", "files", removed)
	}
	cfg, ok := loadConfig(o, log)
	if !ok {
		return 1
	}
	launchSlot(cfg.Provisioning.StateDir, o.updateKeys, log) // update_launch.go: a newer slot replaces this process
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a := newApp(o, stdin, stdout, log)
	a.hist = openHistory(cfg.Provisioning.StateDir, log)
	defer closeHistory(a.hist, log) // after a.stop below: the last entries written
	cfg, ok = startOrFallBack(ctx, a, o, cfg, log)
	if !ok {
		return 1
	}
	defer a.stop()
	// The first REGISTER goes out before the web page and provisioning
	// are set up (its YAML, keys and certificate took ~20 ms before the
	// registration's goroutines got the one P: issue 16's start →
	// registered): once the agent serves, this goroutine lets the
	// registration loops run first.
	a.awaitSIP(ctx)
	runtime.Gosched()
	var parts []func(context.Context) error
	prov, err := newProvisioning(provisioningWiring{
		ConfigPath: o.configPath, Section: cfg.Provisioning, Running: cfg,
		Applier: a, Health: a.Health, Sim: a.SimHandler(), Model: cfg.Board.Profile,
		SectionOf: func(f provisioning.File) provisioning.Config { return f.Provisioning },
		Status:    status{a: a, start: time.Now()}, Actions: actions{a: a},
		History: historyHandler(a.hist),
	}, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	parts = append(parts, prov.Runs...)
	fw := newFirmware(a, cfg.Provisioning.StateDir, o.updateKeys, log)
	a.mu.Lock() // the status and a NOTIFY check-sync read it
	a.fw = fw
	a.mu.Unlock()
	first := cfg.Provisioning
	parts = append(parts, func(ctx context.Context) error { return a.fw.run(ctx, first) })
	syncNow := prov.Puller.SyncNow
	a.resync.Store(&syncNow)
	if ifname := cfg.Provisioning.DHCPInform; ifname != "" { // dhcpinform.go
		stateDir := cfg.Provisioning.StateDir
		parts = append(parts, func(ctx context.Context) error { return runDHCPInform(ctx, ifname, stateDir, syncNow, log) })
	}
	if o.simHTTP != "" {
		run, err := a.serveSim(ctx, o.simHTTP)
		if err != nil {
			log.Error("start failed", "err", err)
			return 1
		}
		parts = append(parts, run)
	}

	n := notifier{log: log}
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p(ctx); err != nil && ctx.Err() == nil {
				a.fail(err)
			}
		}()
	}
	go n.watchdog(ctx, func() bool { return true })
	a.awaitSIP(ctx)
	n.ready()
	log.Info("ready", "sip", "sip:"+cfg.SIP.User+"@"+a.SIPAddr())
	releaseStartupPages(log) // resident.go
	a.trim.kick()            // trim.go: what registering faults in goes once quiet

	code := 0
	select {
	case <-ctx.Done():
	case err := <-a.errc:
		log.Error("stopped", "err", err)
		code = 1
	}
	stop()
	n.stopping()
	log.Info("shutting down")
	return waitDone(a, &wg, log, code)
}

// waitDone stops the core and waits for every part to end, at most
// shutdownGrace.
func waitDone(a *app, wg *sync.WaitGroup, log *slog.Logger, code int) int {
	done := make(chan struct{})
	go func() { a.stop(); wg.Wait(); close(done) }()
	select {
	case <-done:
		log.Info("stopped")
		return code
	case <-time.After(shutdownGrace):
		log.Error("shutdown took too long, exiting anyway", "grace", shutdownGrace)
		return 1
	}
}
