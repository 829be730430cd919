package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/provisioning"
)

// historyKindFirmware marks firmware updates in the event history.
const historyKindFirmware = "firmware"

// firmwareRetry is how long a postponed (call up) or failed download
// waits before the firmware provisioning names is checked again; a
// refusal (unsigned, wrong key) waits for the next configuration.
const firmwareRetry = time.Minute

// firmware runs the firmware updater: it settles an update the last boot
// began (keep or roll back), then installs the firmware each applied
// configuration names (provisioning.firmware).
type firmware struct {
	u    *provisioning.Updater
	log  *slog.Logger
	cfgs chan provisioning.Config // the latest provisioning section, replaced
}

// newFirmware wires the updater to the app: health, calls, history.
func newFirmware(a *app, stateDir string, log *slog.Logger) *firmware {
	var slots provisioning.BootSlots
	if g := provisioning.NewGokrazyBoot(); g != nil {
		slots = g
	}
	log = log.With("component", "firmware")
	f := &firmware{log: log, cfgs: make(chan provisioning.Config, 1)}
	f.u = provisioning.NewUpdater(provisioning.UpdaterOptions{
		StateDir: stateDir, Version: version, Slots: slots, Log: log,
		Health: a.Health, Busy: a.inCall,
		Record: func(detail string) {
			if a.hist == nil {
				return
			}
			if err := a.hist.Add(history.Entry{Kind: historyKindFirmware, Detail: detail}); err != nil {
				log.Warn("event history not written", "err", err)
			}
		},
	})
	return f
}

// consider queues the provisioning section of a newly applied
// configuration; it never blocks.
func (f *firmware) consider(c provisioning.Config) {
	if f == nil {
		return
	}
	select {
	case <-f.cfgs:
	default:
	}
	f.cfgs <- c
}

// run settles the last update, then checks each configuration considered
// until ctx ends.
func (f *firmware) run(ctx context.Context, first provisioning.Config) error {
	if err := f.u.Finish(ctx, first.Firmware.HealthWindow); err != nil && ctx.Err() == nil {
		f.log.Error("firmware update not settled", "err", err)
	}
	cfg, retry := first, time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case cfg = <-f.cfgs:
		case <-retry.C:
		}
		err := f.u.Check(ctx, cfg)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, provisioning.ErrBusy):
			retry.Reset(firmwareRetry)
		case errors.Is(err, provisioning.ErrFirmwareFetch):
			f.log.Warn("firmware update: will try again", "err", err, "in", firmwareRetry)
			retry.Reset(firmwareRetry)
		}
	}
}

// inCall reports whether a call is up (no update then).
func (a *app) inCall() bool {
	a.mu.Lock()
	c := a.core
	a.mu.Unlock()
	return c != nil && len(c.agent.Calls()) > 0
}
