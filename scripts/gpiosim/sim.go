//go:build linux

package main

import (
	"time"

	"github.com/sipbell/sipbell/internal/gpiosim"
	"github.com/sipbell/sipbell/internal/vminit"
)

// runInit is PID 1 of the test VM.
func runInit() {
	vminit.Setup()
	c := &vminit.Checks{Name: "gpiosim"}
	err := vminit.LoadModules("/modules", nil)
	var chip gpiosim.Chip
	if err == nil {
		chip, err = gpiosim.Make(28)
	}
	c.Report("gpio-sim chip with lines GPIO0..GPIO27", err, chip.String())
	if err == nil {
		checkMatrix(c.Report, chip)
		checkDoor(c.Report, chip)
		checkBounce(c.Report, chip)
		checkSLIC(c.Report, chip)
		checkRotary(c.Report, chip)
	}
	c.Done()
}

// chip is the simulated chip the checks drive.
type chip = gpiosim.Chip

// sleep is a short pause in the guest's time.
func sleep(d time.Duration) { time.Sleep(d) }
