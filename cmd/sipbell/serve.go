package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
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
		return cfg, false
	}
	if o.sipListen != "" {
		cfg.SIP.Listen = o.sipListen
	}
	if o.sipTrace {
		cfg.SIP.Trace = true
	}
	if err := cfg.Validate(); err != nil {
		log.Error("config rejected", "err", err)
		return cfg, false
	}
	return cfg, true
}

// serve runs the firmware until SIGINT/SIGTERM and returns the exit code.
func serve(o options, stdin io.Reader, stdout io.Writer, log *slog.Logger) int {
	log.Info("starting", "version", versionString())
	cfg, ok := loadConfig(o, log)
	if !ok {
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	agent, err := ua.New(cfg.SIP, version, log.With("component", "sip"))
	if err != nil {
		log.Error("sip user agent", "err", err)
		return 1
	}
	if err := agent.Listen(); err != nil {
		log.Error("sip listen", "err", err)
		return 1
	}
	parts := []func(context.Context) error{agent.Run}
	hw, err := openBoard(cfg, o, stdin, stdout, log)
	if err != nil {
		log.Error("board", "err", err)
		return 1
	}
	defer hw.close()
	parts = append(parts, hw.runs...)

	n := notifier{log: log}
	var wg sync.WaitGroup
	errc := make(chan error, len(parts))
	for _, p := range parts {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- p(ctx) }()
	}
	go n.watchdog(ctx, func() bool { return true })
	n.ready()
	log.Info("ready", "sip", "sip:"+cfg.SIP.User+"@"+agent.Addr().String())

	code := 0
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil {
			log.Error("stopped", "err", err)
			code = 1
		}
	}
	stop()
	n.stopping()
	log.Info("shutting down")
	return waitDone(&wg, log, code)
}

// waitDone waits for every part to end, at most shutdownGrace.
func waitDone(wg *sync.WaitGroup, log *slog.Logger, code int) int {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		log.Info("stopped")
		return code
	case <-time.After(shutdownGrace):
		log.Error("shutdown took too long, exiting anyway", "grace", shutdownGrace)
		return 1
	}
}
