package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestIdleKeepAliveOnTimerfdBinary: a registered door station and an
// on-hook phone (the ATA profile) wait for their next keep-alive on a
// timerfd in the network poller, not on a runtime timer (issue 16: each
// runtime timer that fires in an idle process had the runtime's sysmon
// thread poll every 20 µs until the late epoll wake-up ran it, most of an
// idle device's context switches). Kamailio sees the keep-alive OPTIONS
// come one after another; then the goroutine dump the runtime prints on
// SIGQUIT shows the timerfd wait.
func TestIdleKeepAliveOnTimerfdBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, user, device, registered string }{
		{"door", "door", "", "registered"},
		{"phone", "alice", "device:\n  mode: ata\n", "registration registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{})
			p := startWith(t, nil, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: %s
  keepalive: 1s
  accounts:
    - registrar: %s
      user: %s
      password: %s
board:
  profile: sim
audio:
  capture: silence
  playback: discard
%s`, tc.user, k.UDP, tc.user, interop.Password, tc.device))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p.await(t, tc.registered)
			if err := k.Log.WaitFor(ctx, "IN OPTIONS", 3); err != nil {
				t.Fatalf("Kamailio did not see 3 keep-alive OPTIONS: %v\n%s", err, k.Log.String())
			}
			if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-ctx.Done():
				t.Fatal("sipbell did not exit on SIGQUIT")
			}
			p.mu.Lock()
			stacks := goroutineStacks(p.log.String())
			p.mu.Unlock()
			if len(stacks) == 0 {
				t.Fatal("no goroutine dump after SIGQUIT")
			}
			if !anyStack(stacks, "ua.(*fdTimer).wait") {
				t.Error("no goroutine waits on a timerfd: the registration waits on a runtime timer")
			}
		})
	}
}
