//go:build linux

package main

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/internal/gpiosim"
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
	err := gpiosim.LoadModules("/modules", nil)
	var chip gpiosim.Chip
	if err == nil {
		chip, err = gpiosim.Make(28)
	}
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

// chip is the simulated chip the checks drive.
type chip = gpiosim.Chip

// sleep is a short pause in the guest's time.
func sleep(d time.Duration) { time.Sleep(d) }
