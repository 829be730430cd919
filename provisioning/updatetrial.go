package provisioning

import (
	"context"
	"fmt"
	"time"
)

// trialPasses is how many health checks in a row a new firmware must
// pass (Poll apart) before it is kept: registered and staying registered.
const trialPasses = 3

// Finish settles an update left by the previous boot. On the boot that
// tries a new firmware (its version running, gokrazy's try flag on the
// command line), it checks health until trialPasses checks in a row
// pass, then makes the new root permanent; when window runs out first,
// it records why and reboots into the previous firmware. On the previous
// firmware after such a try, it records the rollback. It blocks for at
// most window (0: DefaultHealthWindow) plus one check.
func (u *Updater) Finish(ctx context.Context, window time.Duration) error {
	u.mu.Lock()
	st := u.st
	u.mu.Unlock()
	if st.Phase != PhaseTrial || u.o.Slots == nil {
		return nil
	}
	trial, err := u.o.Slots.Trial()
	if err != nil {
		return err
	}
	if st.Version != u.o.Version {
		return u.rolledBack(st)
	}
	if !trial {
		// Running the new version without a try flag: made permanent
		// before a crash kept the state from being saved.
		return u.keep(st)
	}
	if window <= 0 {
		window = DefaultHealthWindow
	}
	u.o.Log.Info("firmware update: trying the new firmware", "version", st.Version, "from", st.From, "window", window)
	deadline := u.o.Now().Add(window)
	passes, last := 0, error(nil)
	for {
		if last = u.o.Health(ctx); last == nil {
			passes++
		} else {
			passes = 0
		}
		if passes >= trialPasses {
			return u.keep(st)
		}
		if !u.o.Now().Before(deadline) {
			break
		}
		if err := u.o.Sleep(ctx, u.o.Poll); err != nil {
			return err
		}
	}
	st.Phase = PhaseFailed
	st.Reason = fmt.Sprintf("%s was not healthy within %s: %v", st.Version, window, last)
	u.mu.Lock()
	u.save(st)
	u.mu.Unlock()
	u.o.Log.Error("firmware update failed its health check; rebooting into the previous firmware",
		"version", st.Version, "previous", st.From, "err", last)
	u.record(fmt.Sprintf("firmware %s failed its health check (%v); rebooting into %s", st.Version, last, st.From))
	return u.o.Slots.Reboot()
}

// keep makes the running root permanent and records the update.
func (u *Updater) keep(st FirmwareState) error {
	if err := u.o.Slots.Commit(); err != nil {
		u.o.Log.Error("firmware update: could not make the new root permanent", "err", err)
		return fmt.Errorf("%w: %w", ErrFirmware, err)
	}
	st.Phase, st.Reason = PhaseInstalled, ""
	u.mu.Lock()
	u.save(st)
	u.mu.Unlock()
	u.o.Log.Info("firmware updated: healthy, kept", "version", st.Version, "from", st.From)
	u.record(fmt.Sprintf("firmware updated from %s to %s: healthy, kept", st.From, st.Version))
	return nil
}

// rolledBack records, on the previous firmware, that a try ended
// without the new one being kept.
func (u *Updater) rolledBack(st FirmwareState) error {
	if st.Reason == "" {
		st.Reason = fmt.Sprintf("%s did not prove healthy (its boot or start failed)", st.Version)
	}
	st.Phase = PhaseFailed
	u.mu.Lock()
	u.save(st)
	u.mu.Unlock()
	u.o.Log.Error("firmware update rolled back", "version", st.Version, "running", u.o.Version, "reason", st.Reason)
	u.record(fmt.Sprintf("firmware %s rolled back to %s: %s", st.Version, u.o.Version, st.Reason))
	return nil
}

// CountTrialStart is called by the gokrazy launcher before each start of
// sipbell. On a trial boot (trial true) with an update being tried, it
// counts the start; past MaxTrialStarts it marks the update failed and
// returns true: the caller reboots into the previous firmware.
func CountTrialStart(stateDir string, trial bool, now time.Time) (bool, error) {
	st, err := LoadFirmwareState(stateDir)
	if err != nil || !trial || st.Phase != PhaseTrial {
		return false, err
	}
	st.Starts++
	st.Time = now.UTC()
	if st.Starts > MaxTrialStarts {
		// Still a trial: the previous firmware, booted next, records it.
		st.Reason = fmt.Sprintf("sipbell %s did not start healthy (%d starts on its trial boot)", st.Version, MaxTrialStarts)
		return true, SaveFirmwareState(stateDir, st)
	}
	return false, SaveFirmwareState(stateDir, st)
}
