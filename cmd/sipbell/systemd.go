package main

import (
	"context"
	"log/slog"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/sipbell/sipbell/ua"
)

// notifier speaks the sd_notify protocol when systemd started us with
// NOTIFY_SOCKET (Type=notify) and, with WATCHDOG_USEC, pings the watchdog.
// Without those variables every method does nothing.
type notifier struct{ log *slog.Logger }

// ready tells systemd start-up is complete.
func (n notifier) ready() { n.send(daemon.SdNotifyReady) }

// stopping tells systemd a clean shutdown has begun.
func (n notifier) stopping() { n.send(daemon.SdNotifyStopping) }

func (n notifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("sd_notify failed", "state", state, "err", err)
	}
}

// watchdog pings systemd at half the watchdog interval until ctx ends.
// alive reports whether the process is healthy enough to be kept; a false
// answer skips the ping so systemd restarts us (crash-only).
func (n notifier) watchdog(ctx context.Context, alive func() bool) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog: bad WATCHDOG_USEC", "err", err)
		return
	}
	if interval <= 0 {
		return
	}
	// An idle ticker (a timerfd): a runtime timer firing in an idle
	// process costs dozens of context switches (issue 16).
	t := ua.NewIdleTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			if alive() {
				n.send(daemon.SdNotifyWatchdog)
			}
		}
	}
}
