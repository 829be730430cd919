//go:build linux

// Command firmwarevm is the init process (PID 1) of the whole-firmware VM
// test (vm_test.go): the ARMv6 sipbell on a 32-bit ARM Debian kernel under
// qemu-system, with a loopback sound card (snd-aloop) as its codec and the
// kernel's gpio-sim chip, lines named like the Pi's header, as its GPIO,
// the board opened with the "rpi" profile as on a Pi. It starts sipbell,
// waits until it has registered with Kamailio on the host (across a tap
// device in the test's own network namespace), plays a 440 Hz tone into
// the microphone side of the sound card, presses the call button (the
// simulated line pulled to ground), records what sipbell plays on the
// speaker side (baresip's 1 kHz tone), and watches the door relay line
// until the door code baresip sends pulses it. It prints "firmwarevm: ..."
// lines on the serial console and powers off.
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
	fmt.Fprintln(os.Stderr, "firmwarevm: runs as PID 1 of a test VM (go test ./scripts/firmwarevm)")
	os.Exit(2)
}
