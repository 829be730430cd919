//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// host runs qemu with args plus a serial console on its stdout and a
// monitor socket, copies the console to stdout, and sends
// "system_powerdown" (the virt machine's power button: a 100 ms pulse on
// PL061 line 3) whenever the guest prints that it waits for a pulse.
// It returns when qemu exits (the guest powers off) or after 5 minutes.
func host(args []string) error {
	dir, err := os.MkdirTemp("", "gpiokernel")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "monitor.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args = append(args, "-serial", "stdio", "-monitor", "unix:"+sock+",server=on,wait=off")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", args[0], err)
	}
	var mon net.Conn
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		fmt.Println(line)
		if !strings.Contains(line, "gpiokernel: waiting for a pulse on line 3") {
			continue
		}
		if mon == nil {
			if mon, err = net.Dial("unix", sock); err != nil {
				return fmt.Errorf("qemu monitor: %w", err)
			}
			defer mon.Close()
			go drain(mon)
		}
		if _, err := fmt.Fprintln(mon, "system_powerdown"); err != nil {
			return fmt.Errorf("qemu monitor: %w", err)
		}
	}
	if err := cmd.Wait(); err != nil && ctx.Err() != nil {
		return fmt.Errorf("qemu did not finish within 5 minutes")
	}
	return nil
}

// drain reads the monitor's answers, which nobody needs.
func drain(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
