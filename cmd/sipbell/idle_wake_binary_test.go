package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
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
// SIGQUIT shows the timerfd wait, and the SIP socket read with raw system
// calls.
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
			stacks := quitStacks(ctx, t, p)
			if !anyStack(stacks, "fdtimer.(*Rearm).wait") {
				t.Error("no goroutine waits on a timerfd: the registration waits on a runtime timer")
			}
			// The SIP socket's reader waits in the poller behind a raw,
			// non-blocking recvfrom (internal/rawudp): net's own read
			// enters a blocking-style system call, which wakes sysmon.
			if !anyStack(stacks, "rawudp.(*Conn).ReadFrom") {
				t.Error("the SIP UDP socket is not read with raw system calls")
			}
		})
	}
}

// TestWatchdogOnTimerfdBinary: under systemd's watchdog (WATCHDOG_USEC)
// the binary, with no account to register, pings on a periodic timerfd
// (its goroutine lives as long as the watchdog), not a runtime ticker: packaging's WatchdogSec=30s has it wake every
// 15 s for the life of the device, and a runtime timer there costs the
// idle process dozens of context switches each time (issue 16).
func TestWatchdogOnTimerfdBinary(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := start(t, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"})
	pinged := make(chan struct{})
	go func() { // reads every ping, so that none waits on a full socket
		buf := make([]byte, 4096)
		for pings := 0; ; {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if strings.TrimSpace(string(buf[:n])) == "WATCHDOG=1" {
				if pings++; pings == 2 {
					close(pinged)
				}
			}
		}
	}()
	select {
	case <-pinged:
	case <-time.After(30 * time.Second):
		t.Fatal("no two WATCHDOG=1 pings")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !anyStack(quitStacks(ctx, t, p), "fdtimer.(*Timer).wait") {
		t.Error("no goroutine waits on a timerfd: the watchdog waits on a runtime timer")
	}
}

// quitStacks sends p SIGQUIT, waits for it to exit (until ctx ends) and
// returns the goroutines of the dump the Go runtime prints then.
func quitStacks(ctx context.Context, t *testing.T, p *proc) []string {
	t.Helper()
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
	return stacks
}
