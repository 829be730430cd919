//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// runInit is PID 1 of the test VM.
func runInit() {
	_ = unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	_ = unix.Mount("proc", "/proc", "proc", 0, "")
	_ = unix.Mount("sysfs", "/sys", "sysfs", 0, "")
	if fd, err := unix.Open("/dev/console", unix.O_RDWR, 0); err == nil {
		_ = unix.Dup2(fd, 1)
		_ = unix.Dup2(fd, 2)
	}
	pass, fail := 0, 0
	report := func(name string, err error, detail string) {
		if err != nil {
			fail++
			fmt.Printf("gpiosim: FAIL %s: %v\n", name, err)
			return
		}
		pass++
		fmt.Printf("gpiosim: ok %s %s\n", name, detail)
	}
	chip, err := makeChip()
	report("gpio-sim chip with lines GPIO0..GPIO27", err, chip.String())
	if err == nil {
		checkDoor(report, chip)
		checkBounce(report, chip)
		checkSLIC(report, chip)
		checkRotary(report, chip)
	}
	fmt.Printf("gpiosim: done pass=%d fail=%d\n", pass, fail)
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// chip is the simulated chip's sysfs directory of line attributes.
type chip struct{ dir, dev string }

func (c chip) String() string { return fmt.Sprintf("(%s, %s)", c.dev, c.dir) }

const cfs = "/sys/kernel/config/gpio-sim/pi"

// makeChip loads the modules, then makes one bank of 28 lines named like
// the Pi's header through configfs and switches it live.
func makeChip() (chip, error) {
	if err := loadModules(); err != nil {
		return chip{}, err
	}
	if err := unix.Mount("configfs", "/sys/kernel/config", "configfs", 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return chip{}, fmt.Errorf("mount configfs: %w", err)
	}
	for _, d := range []string{cfs, cfs + "/bank0"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return chip{}, err
		}
	}
	if err := write(cfs+"/bank0/num_lines", "28"); err != nil {
		return chip{}, err
	}
	for i := 0; i < 28; i++ {
		d := fmt.Sprintf("%s/bank0/line%d", cfs, i)
		if err := os.Mkdir(d, 0o755); err != nil {
			return chip{}, err
		}
		if err := write(d+"/name", fmt.Sprintf("GPIO%d", i)); err != nil {
			return chip{}, err
		}
	}
	if err := write(cfs+"/live", "1"); err != nil {
		return chip{}, err
	}
	dev, err := read(cfs + "/dev_name")
	if err != nil {
		return chip{}, err
	}
	name, err := read(cfs + "/bank0/chip_name")
	if err != nil {
		return chip{}, err
	}
	c := chip{dir: filepath.Join("/sys/devices/platform", dev, name), dev: "/dev/" + name}
	if _, err := os.Stat(c.dev); err != nil {
		return c, err
	}
	return c, nil
}

// loadModules loads /modules/*.ko in name order (configfs, then gpio-sim).
func loadModules() error {
	mods, _ := filepath.Glob("/modules/*.ko")
	sort.Strings(mods)
	if len(mods) == 0 {
		return errors.New("no modules in the initramfs")
	}
	for _, m := range mods {
		f, err := os.Open(m)
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("load %s: %w", filepath.Base(m), err)
		}
	}
	return nil
}

// pull sets what the outside world does to line n: "pull-up" (high) or
// "pull-down" (low).
func (c chip) pull(n int, how string) error {
	return write(fmt.Sprintf("%s/sim_gpio%d/pull", c.dir, n), how)
}

// value reads line n's level: an output's driven value, an input's level.
func (c chip) value(n int) (string, error) {
	return read(fmt.Sprintf("%s/sim_gpio%d/value", c.dir, n))
}

// expect checks that each line reads the level given ("0" or "1").
func (c chip) expect(want map[int]string) error {
	var bad []string
	lines := make([]int, 0, len(want))
	for n := range want {
		lines = append(lines, n)
	}
	sort.Ints(lines)
	for _, n := range lines {
		v, err := c.value(n)
		if err != nil {
			return err
		}
		if v != want[n] {
			bad = append(bad, fmt.Sprintf("GPIO%d reads %s, want %s", n, v, want[n]))
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

func write(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return fmt.Errorf("write %q to %s: %w", v, path, err)
	}
	return nil
}

func read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// sleep is a short pause in the guest's time.
func sleep(d time.Duration) { time.Sleep(d) }
