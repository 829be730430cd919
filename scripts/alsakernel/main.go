//go:build linux

// Command alsakernel tests sipbell's pure-Go ALSA layer (audio/alsa)
// against a real Linux sound core, where this machine has none: it runs as
// the init process of a tiny initramfs booted under qemu-system with a
// Debian kernel, loads the kernel's snd-dummy driver (a sound card with
// the real ALSA PCM core behind it: hw_params constraints, ring buffer,
// timers, xruns), and drives it through audio/alsa.
//
//	alsakernel pack OUT.cpio INIT MODULE.ko...  build the initramfs (INIT: this program built for the guest;
//	                                        NAME=FILE puts an executable FILE at /NAME too)
//	(as PID 1)                              run the checks, print "alsakernel: ..." lines, power off
//
// scripts/alsa-kernel-test.sh does both and judges the output.
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
	if len(os.Args) >= 4 && os.Args[1] == "pack" {
		if err := pack(os.Args[2], os.Args[3], os.Args[4:]); err != nil {
			fmt.Fprintln(os.Stderr, "alsakernel:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: alsakernel pack OUT.cpio INIT MODULE.ko... (runs its checks as PID 1)")
	os.Exit(2)
}
