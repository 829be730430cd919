//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sys is the kernel boundary: everything the package asks of the kernel.
// Tests replace it with a simulated sound card.
type sys interface {
	// open opens a PCM device node non-blocking.
	open(path string) (fd int, err error)
	// ioctl issues request req with argument arg (a pointer to the
	// request's struct, or nil).
	ioctl(fd int, req uintptr, arg unsafe.Pointer) error
	// poll waits up to timeout for fd to become readable (out false) or
	// writable (out true).
	poll(fd int, out bool, timeout time.Duration) error
	close(fd int) error
}

// kernel is the real sys.
type kernel struct{}

func (kernel) open(path string) (int, error) {
	return unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
}

func (kernel) ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

func (kernel) poll(fd int, out bool, timeout time.Duration) error {
	ev := int16(unix.POLLIN)
	if out {
		ev = unix.POLLOUT
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
	_, err := unix.Poll(fds, int(timeout/time.Millisecond))
	if err == unix.EINTR {
		return nil
	}
	return err
}

func (kernel) close(fd int) error { return unix.Close(fd) }
