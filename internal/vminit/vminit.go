//go:build linux

// Package vminit is what the init process (PID 1) of a test VM does first
// and last (scripts/gpiosim, scripts/firmwarevm): mount /dev, /proc and
// /sys, write to the serial console, count the checks it reports as
// "<name>: ok ..." / "<name>: FAIL ..." lines, and power the VM off.
package vminit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// Setup mounts devtmpfs, proc and sysfs and points stdout and stderr at
// the console.
func Setup() {
	for _, m := range [][2]string{{"devtmpfs", "/dev"}, {"proc", "/proc"}, {"sysfs", "/sys"}} {
		_ = unix.Mount(m[0], m[1], m[0], 0, "")
	}
	if fd, err := unix.Open("/dev/console", unix.O_RDWR, 0); err == nil {
		_ = unix.Dup2(fd, 1)
		_ = unix.Dup2(fd, 2)
	}
}

// LoadModules loads the *.ko files in dir in name order (the order the
// packer numbers them in); params gives a module's parameters by file name.
func LoadModules(dir string, params func(name string) string) error {
	mods, _ := filepath.Glob(filepath.Join(dir, "*.ko"))
	sort.Strings(mods)
	if len(mods) == 0 {
		return fmt.Errorf("load modules: none in %s", dir)
	}
	for _, m := range mods {
		f, err := os.Open(m)
		if err != nil {
			return err
		}
		p := ""
		if params != nil {
			p = params(filepath.Base(m))
		}
		err = unix.FinitModule(int(f.Fd()), p, 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("load %s: %w", filepath.Base(m), err)
		}
	}
	return nil
}

// Checks prints one line per check, prefixed with the program's name,
// and counts them.
type Checks struct {
	Name       string
	pass, fail int
}

// Report prints "<name>: ok <check> <detail>" or "<name>: FAIL <check>: <err>".
func (c *Checks) Report(check string, err error, detail string) {
	if err != nil {
		c.fail++
		fmt.Printf("%s: FAIL %s: %v\n", c.Name, check, err)
		return
	}
	c.pass++
	fmt.Printf("%s: ok %s %s\n", c.Name, check, detail)
}

// Done prints "<name>: done pass=N fail=M" (what the host side judges),
// syncs and powers the VM off.
func (c *Checks) Done() {
	fmt.Printf("%s: done pass=%d fail=%d\n", c.Name, c.pass, c.fail)
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
