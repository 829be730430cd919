package main

import (
	"os"
	"runtime"
)

// defaultProcs is the firmware's GOMAXPROCS unless the GOMAXPROCS
// environment variable says otherwise. One is the Pi Zero's core count,
// and on a Pi with more cores the device's work (a call's 50 frames a
// second, SIP, the web page) still fits in one: measured side by side
// with baresip (issue 16), one P instead of two cut the CPU of a call by
// 8 % and its context switches by 27 %, since fewer idle Ps and threads
// are woken and put to sleep again per frame.
const defaultProcs = 1

// setProcs applies defaultProcs when GOMAXPROCS is not set in the
// environment (GOMAXPROCS=4 sipbell ... overrides it) and returns the
// value in force.
func setProcs() int {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(defaultProcs)
	}
	return runtime.GOMAXPROCS(0)
}
