package main

import (
	"errors"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/sipbell/sipbell/provisioning"
)

// errRestartForUpdate ends the process after a firmware update was
// switched to, or rolled back from: systemd (Restart=always) starts the
// package's binary again, which launches what the slots say.
var errRestartForUpdate = errors.New("restarting into the firmware slot")

// launchSlot runs on the package's binary of an install with binary slots
// (not gokrazy, not itself started from a slot): it counts a trial's
// start, rolls back a failed one, and replaces this process by the
// current slot's sipbell when that is newer and matches the signed record
// kept with it, checked with the root-owned keys in keysFile. It returns
// only when this binary is to run.
func launchSlot(stateDir, keysFile string, log *slog.Logger) {
	if os.Getenv(provisioning.SlotEnv) != "" || provisioning.NewGokrazyBoot() != nil {
		return
	}
	slots := provisioning.NewBinarySlots(stateDir, nil)
	slots.KeysFile, slots.Platform = keysFile, platform(false)
	path, trial, err := slots.Launch(stateDir, version, time.Now())
	switch {
	case errors.Is(err, provisioning.ErrNoUpdateKeys):
		log.Error("firmware slots not started: no trusted update keys; running the installed binary (install the release key, root-owned, to take manifest updates)",
			"keys", slots.KeysFile, "err", err)
		return
	case errors.Is(err, provisioning.ErrSlotRefused):
		log.Error("firmware slot refused and marked bad; running the installed binary", "err", err)
		return
	case err != nil:
		log.Error("firmware slots unreadable; running the installed binary", "err", err)
		return
	case path == "":
		return
	}
	env := append(os.Environ(), provisioning.SlotEnv+"="+path)
	if trial {
		env = append(env, provisioning.SlotTrialEnv+"=1")
	}
	log.Info("firmware: starting the slot's sipbell", "path", path, "trial", trial, "installed", version)
	args := append([]string{path}, os.Args[1:]...)
	err = syscall.Exec(path, args, env)
	log.Error("firmware slot did not start; running the installed binary", "path", path, "err", err)
	if err := slots.ExecFailed(stateDir, err); err != nil {
		log.Error("firmware slot not rolled back", "err", err)
	}
}

// platform is this binary's entry in a firmware manifest's files.
func platform(gokrazy bool) string {
	kind, goarm := "linux", ""
	if gokrazy {
		kind = "gokrazy"
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				goarm = s.Value
			}
		}
	}
	return provisioning.ManifestPlatform(kind, runtime.GOARCH, goarm)
}
