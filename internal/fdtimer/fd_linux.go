package fdtimer

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// open makes a non-blocking timerfd on CLOCK_MONOTONIC (the clock of Go's
// monotonic readings), armed with spec unless that is nil, and registers
// it with the network poller. The system calls are raw ones (no sysmon
// wake-up); what names the timer in an error.
func open(what string, spec *unix.ItimerSpec) (*os.File, syscall.RawConn, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_TIMERFD_CREATE, unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC, 0)
	if e != 0 {
		return nil, nil, fmt.Errorf("fdtimer: timerfd_create for %s: %w", what, e)
	}
	if spec != nil {
		if e := setTime(fd, spec); e != 0 {
			unix.Close(int(fd))
			return nil, nil, fmt.Errorf("fdtimer: timerfd_settime for %s: %w", what, e)
		}
	}
	// (Not f.Fd() later: it would put the file back in blocking mode.)
	f := os.NewFile(fd, "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("fdtimer: timerfd for %s: %w", what, err)
	}
	return f, rc, nil
}

// setTime arms (or with a zero spec disarms) the timerfd fd.
func setTime(fd uintptr, spec *unix.ItimerSpec) syscall.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(spec)), 0, 0, 0)
	return e
}

// readExpiry reads the timerfd's expiration count into n without
// blocking: 0 when it had expired, EAGAIN when not yet.
func readExpiry(fd uintptr, n *uint64) syscall.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(n)), 8)
	return e
}
