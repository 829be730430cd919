//go:build linux

// Command gpiokernel runs sipbell's board on the real GPIO code path
// (periph's gpioioctl on the kernel's GPIO character device) with the
// "slic" profile, where this machine has no GPIO chip: it boots a Debian
// kernel under qemu-system on the "virt" machine, whose PL061 GPIO
// controller has its line 3 wired to qemu's power button, with a device
// tree naming the PL061's lines GPIO0..GPIO7.
//
//	gpiokernel host QEMU-ARGS...   run qemu (adding -serial stdio and a
//	                               monitor socket), print the guest's
//	                               "gpiokernel:" lines, and press the power
//	                               button (a 100 ms high pulse on line 3)
//	                               each time the guest asks for a hook pulse
//	(as PID 1)                     the checks: the slic profile on lines
//	                               3 (SHK), 4 (RM), 5 (F/R), 6 (LED): the
//	                               ring waveform and the line reversal as
//	                               the PL061 driver reports its lines in
//	                               debugfs, and the hook edges as events;
//	                               then the rotary profile: the bell's
//	                               H-bridge inputs in antiphase, a dial pulse
//
// scripts/gpio-kernel-test.sh builds it, packs it with scripts/alsakernel's
// packer, and judges the output.
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
	if len(os.Args) >= 3 && os.Args[1] == "host" {
		if err := host(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gpiokernel:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: gpiokernel host QEMU-ARGS... (runs its checks as PID 1)")
	os.Exit(2)
}
