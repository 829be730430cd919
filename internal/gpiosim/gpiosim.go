//go:build linux

// Package gpiosim sets up the kernel's gpio-sim driver inside a test VM
// (scripts/gpiosim, scripts/firmwarevm): one simulated chip with lines
// named like the Raspberry Pi's header, made through configfs, whose
// inputs a test sets from outside (the sysfs pull attribute) and whose
// outputs it reads back (the value attribute).
package gpiosim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Chip is a live simulated chip: its sysfs directory of line attributes
// and its character device.
type Chip struct{ Dir, Dev string }

func (c Chip) String() string { return fmt.Sprintf("(%s, %s)", c.Dev, c.Dir) }

const cfs = "/sys/kernel/config/gpio-sim/pi"

// Make mounts configfs and makes one bank of n lines named GPIO0..n-1,
// switched live. The gpio-sim module must be loaded.
func Make(n int) (Chip, error) {
	if err := unix.Mount("configfs", "/sys/kernel/config", "configfs", 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return Chip{}, fmt.Errorf("mount configfs: %w", err)
	}
	for _, d := range []string{cfs, cfs + "/bank0"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return Chip{}, err
		}
	}
	if err := write(cfs+"/bank0/num_lines", fmt.Sprint(n)); err != nil {
		return Chip{}, err
	}
	for i := 0; i < n; i++ {
		d := fmt.Sprintf("%s/bank0/line%d", cfs, i)
		if err := os.Mkdir(d, 0o755); err != nil {
			return Chip{}, err
		}
		if err := write(d+"/name", fmt.Sprintf("GPIO%d", i)); err != nil {
			return Chip{}, err
		}
	}
	if err := write(cfs+"/live", "1"); err != nil {
		return Chip{}, err
	}
	dev, err := read(cfs + "/dev_name")
	if err != nil {
		return Chip{}, err
	}
	name, err := read(cfs + "/bank0/chip_name")
	if err != nil {
		return Chip{}, err
	}
	c := Chip{Dir: filepath.Join("/sys/devices/platform", dev, name), Dev: "/dev/" + name}
	if _, err := os.Stat(c.Dev); err != nil {
		return c, err
	}
	return c, nil
}

// Pull sets what the outside world does to line n: "pull-up" (high) or
// "pull-down" (low).
func (c Chip) Pull(n int, how string) error {
	return write(fmt.Sprintf("%s/sim_gpio%d/pull", c.Dir, n), how)
}

// Value reads line n's level: an output's driven value, an input's level.
func (c Chip) Value(n int) (string, error) {
	return read(fmt.Sprintf("%s/sim_gpio%d/value", c.Dir, n))
}

// Expect checks that each line reads the level given ("0" or "1").
func (c Chip) Expect(want map[int]string) error {
	var bad []string
	lines := make([]int, 0, len(want))
	for n := range want {
		lines = append(lines, n)
	}
	sort.Ints(lines)
	for _, n := range lines {
		v, err := c.Value(n)
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
