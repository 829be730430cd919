//go:build linux

// Command gpiosim runs sipbell's board package on the kernel's gpio-sim
// driver: a real GPIO chip of the kernel's gpiolib with its character
// device, whose line levels a test sets from the "outside" through sysfs
// (the pull attribute) and whose outputs it reads back (the value
// attribute). Debian's kernels do not build gpio-sim; scripts/gpiosim-build.sh
// builds it as a module for the kernel scripts/alsa-kernel-fetch.sh cached.
//
// It is the init process (PID 1) of a tiny initramfs booted under
// qemu-system: it loads configfs.ko and gpio-sim.ko, makes one simulated
// chip with 28 lines named like the Raspberry Pi's header (GPIO0 …
// GPIO27), and opens the board with the door station's "rpi" profile and
// the analog-phone profiles "slic" and "rotary" exactly as on a Pi
// (periph's GPIO character device driver finds the lines by name): a
// level change on a simulated input line becomes a debounced event, bounces
// shorter than the debounce time none; each output line reads back what
// the board drives. A 3×4 matrix keypad on the header is scanned by the
// board's real scanner while another process (itself, "gpiosim keypad",
// keypad.go) plays the keys joining rows and columns; an idle keypad must
// wake nothing. It prints "gpiosim: ..." lines and powers off.
//
// scripts/gpiosim-test.sh packs and boots it (with scripts/alsakernel's
// packer) and judges the output.
package main

import (
	"fmt"
	"os"
)

func main() {
	if os.Getpid() == 1 {
		runInit()
		return
	}
	if len(os.Args) >= 2 && os.Args[1] == "keypad" {
		keypadMain(os.Args[2:])
	}
	fmt.Fprintln(os.Stderr, "gpiosim: runs as PID 1 of a test VM (see scripts/gpiosim-test.sh)")
	os.Exit(2)
}
