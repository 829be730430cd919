//go:build unix

package ua

import "syscall"

// fdLimit returns the process's soft RLIMIT_NOFILE, or 0 when unknown.
func fdLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 {
		return 0
	}
	return int(l.Cur)
}
