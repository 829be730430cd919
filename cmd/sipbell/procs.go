package main

import (
	"os"
	"runtime"
	"runtime/debug"
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

// defaultMemLimit is the firmware's soft memory limit for the Go runtime
// (GOMEMLIMIT) unless the GOMEMLIMIT environment variable says otherwise.
// A door station's heap is a few MB: every queue, table and buffer in it
// is bounded, so the limit is never near in service. It is a ceiling for
// the garbage collector under a flood: past it, the collector runs as
// often as it must instead of letting the heap double (GOGC) on a Pi
// Zero's 512 MB shared with the system.
const defaultMemLimit = 64 << 20

// setMemLimit applies defaultMemLimit when GOMEMLIMIT is not set in the
// environment and returns the limit in force, in bytes.
func setMemLimit() int64 {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemLimit)
	}
	return debug.SetMemoryLimit(-1)
}
