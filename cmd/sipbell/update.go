package main

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
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

// firmware runs the firmware updater: it settles an update the last start
// began (keep or roll back), then installs the firmware each applied
// configuration names (provisioning.firmware: a root image url, or a
// manifest checked at start, every provisioning interval and on request).
type firmware struct {
	u     *provisioning.Updater
	log   *slog.Logger
	cfgs  chan provisioning.Config // the latest provisioning section, replaced
	check chan struct{}            // a manifest check asked for (admin API)
}

// newFirmware wires the updater to the app: slots, health, calls, history.
func newFirmware(a *app, stateDir, keysFile string, log *slog.Logger) *firmware {
	var slots provisioning.BootSlots
	g := provisioning.NewGokrazyBoot()
	if g != nil {
		slots = g
	} else {
		bs := provisioning.NewBinarySlots(stateDir, func() error {
			a.fail(errRestartForUpdate)
			return nil
		})
		bs.KeysFile, bs.Platform = keysFile, platform(false)
		slots = bs
	}
	log = log.With("component", "firmware")
	f := &firmware{log: log, cfgs: make(chan provisioning.Config, 1), check: make(chan struct{}, 1)}
	f.u = provisioning.NewUpdater(provisioning.UpdaterOptions{
		StateDir: stateDir, Version: version, Slots: slots, Images: g != nil,
		Platform: platform(g != nil), DeviceID: serialNumber(), Log: log,
		Health: a.Health, Busy: a.inCall,
		Record: func(detail string) {
			if a.hist == nil {
				return
			}
			if err := a.hist.Add(history.Entry{Kind: historyKindFirmware, Detail: detail}); err != nil {
				log.Warn("event history not written", "err", err)
			} else if err := a.hist.Sync(); err != nil { // a restart may follow at once
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

// errNoManifest: a manifest check was asked for with none configured.
var errNoManifest = errors.New("no firmware manifest configured (provisioning.firmware.manifest)")

// checkNow asks for a manifest check at once; it never blocks.
func (f *firmware) checkNow() {
	select {
	case f.check <- struct{}{}:
	default:
	}
}

// run settles the last update, then checks each configuration considered,
// and its manifest at start, every provisioning interval (plus the same
// random offset as provisioning) and on request, until ctx ends.
func (f *firmware) run(ctx context.Context, first provisioning.Config) error {
	if err := f.u.Finish(ctx, first.Firmware.HealthWindow); err != nil && ctx.Err() == nil {
		f.log.Error("firmware update not settled", "err", err)
	}
	cfg, retry, sched := first, time.NewTimer(0), time.NewTimer(0)
	defer retry.Stop()
	defer sched.Stop()
	for {
		manifest := false
		select {
		case <-ctx.Done():
			return nil
		case c := <-f.cfgs:
			manifest, cfg = c.Firmware.Manifest != cfg.Firmware.Manifest, c
		case <-retry.C:
			manifest = true
		case <-f.check:
			manifest = true
		case <-sched.C:
			manifest = true
			if cfg.Interval > 0 {
				sched.Reset(cfg.Interval + rand.N(cfg.Interval/10+1))
			}
		}
		err := f.u.Check(ctx, cfg)
		if manifest && err == nil {
			err = f.u.CheckManifest(ctx, cfg)
		}
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, provisioning.ErrBusy):
			retry.Reset(firmwareRetry)
		case errors.Is(err, provisioning.ErrFirmwareFetch):
			f.log.Warn("firmware update: will try again", "err", err, "in", firmwareRetry)
			retry.Reset(firmwareRetry)
		case err != nil && manifest:
			f.log.Error("firmware manifest check failed", "manifest", cfg.Firmware.Manifest, "err", err)
		}
	}
}

// CheckFirmware asks for a manifest check now
// (provisioning.FirmwareChecker); the outcome shows in the status.
func (x actions) CheckFirmware(context.Context) (string, error) {
	x.a.mu.Lock()
	fw, m := x.a.fw, x.a.cfg.Provisioning.Firmware.Manifest
	x.a.mu.Unlock()
	if fw == nil || m == "" {
		return "", errNoManifest
	}
	fw.checkNow()
	return m, nil
}

// inCall reports whether a call is up (no update then).
func (a *app) inCall() bool {
	a.mu.Lock()
	c := a.core
	a.mu.Unlock()
	return c != nil && len(c.agent.Calls()) > 0
}
