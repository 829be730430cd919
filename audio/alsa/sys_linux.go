//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"errors"
	"os"
	"sync"
	"syscall"
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
	// xfer issues the transfer request req (ioctlReadI or ioctlWriteI)
	// with x without blocking; while the device has no room (playback)
	// or no period (capture) it waits for it, up to timeout, and then
	// returns EAGAIN.
	xfer(fd int, req uintptr, x *xferi, timeout time.Duration) error
	// tryXfer issues the transfer request req with x without blocking
	// and without waiting: EAGAIN when the device has nothing to move.
	tryXfer(fd int, req uintptr, x *xferi) error
	// wake makes a wait of xfer on fd return at once (EAGAIN).
	wake(fd int)
	close(fd int) error
}

// kernel is the real sys. A PCM's transfers (issue 16) are ioctls made
// with raw system calls on its non-blocking descriptor, and its waits for
// the device are Go's network poller's (epoll): a frame's playback or
// capture makes no blocking-style system call, which would wake the
// runtime's sysmon thread each period, and no thread sleeps in poll(2).
type kernel struct{}

// pollFile is an open device registered with the network poller.
type pollFile struct {
	f        *os.File
	rc       syscall.RawConn
	pollable bool      // registered (every ALSA PCM and control is)
	deadline time.Time // the wait bound last set on f

	// One transfer at a time (the PCM's lock): its request, its
	// argument, the ioctl's error, and try, made once so that a transfer
	// does not allocate a closure.
	req   uintptr
	x     *xferi
	errno syscall.Errno
	try   func(fd uintptr) bool
}

// files are the open devices by descriptor.
var (
	filesMu sync.RWMutex
	files   = map[int]*pollFile{}
)

func lookup(fd int) *pollFile {
	filesMu.RLock()
	defer filesMu.RUnlock()
	return files[fd]
}

func (kernel) open(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	f := os.NewFile(uintptr(fd), path) // non-blocking: registered with the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return -1, err
	}
	pf := &pollFile{f: f, rc: rc, pollable: f.SetDeadline(time.Time{}) == nil}
	pf.try = pf.tryXfer
	filesMu.Lock()
	files[fd] = pf
	filesMu.Unlock()
	return fd, nil
}

func (kernel) ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

// tryXfer is the poller's callback: the transfer, which never blocks on
// the non-blocking descriptor, made raw (no scheduler round trip); false
// asks the poller to wait for the device.
func (pf *pollFile) tryXfer(fd uintptr) bool {
	_, _, e := syscall.RawSyscall(unix.SYS_IOCTL, fd, pf.req, uintptr(unsafe.Pointer(pf.x)))
	if e == syscall.EAGAIN {
		return false
	}
	pf.errno = e
	return true
}

func (kernel) xfer(fd int, req uintptr, x *xferi, timeout time.Duration) error {
	pf := lookup(fd)
	if pf == nil || !pf.pollable {
		return pollXfer(fd, req, x, timeout)
	}
	// The bound is a poller deadline, moved only when half used: a
	// runtime timer set every frame would wake sysmon every frame.
	if now := time.Now(); pf.deadline.Sub(now) < timeout/2 {
		pf.deadline = now.Add(timeout)
		if err := pf.f.SetDeadline(pf.deadline); err != nil {
			return err
		}
	}
	pf.req, pf.x, pf.errno = req, x, 0
	var err error
	if req == ioctlReadI {
		err = pf.rc.Read(pf.try)
	} else {
		err = pf.rc.Write(pf.try)
	}
	pf.x = nil
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded): // the bound, or wake
		pf.deadline = time.Time{}
		return unix.EAGAIN
	case err != nil:
		return err
	case pf.errno != 0:
		return pf.errno
	}
	return nil
}

// tryXfer is the transfer ioctl alone, raw: on the non-blocking
// descriptor it never blocks, so it needs no scheduler round trip.
func (kernel) tryXfer(fd int, req uintptr, x *xferi) error {
	_, _, e := syscall.RawSyscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(x)))
	if e != 0 {
		return e
	}
	return nil
}

// pollXfer is xfer for a device the poller does not take: the ioctl, and
// on EAGAIN a wait in poll(2).
func pollXfer(fd int, req uintptr, x *xferi, timeout time.Duration) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(x)))
	if e != unix.EAGAIN {
		if e != 0 {
			return e
		}
		return nil
	}
	ev := int16(unix.POLLIN)
	if req == ioctlWriteI {
		ev = unix.POLLOUT
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
	if _, err := unix.Poll(fds, int(min(timeout, 50*time.Millisecond)/time.Millisecond)); err != nil && err != unix.EINTR {
		return err
	}
	return unix.EAGAIN
}

func (kernel) wake(fd int) {
	if pf := lookup(fd); pf != nil && pf.pollable {
		_ = pf.f.SetDeadline(time.Unix(1, 0))
	}
}

func (kernel) close(fd int) error {
	filesMu.Lock()
	pf := files[fd]
	delete(files, fd)
	filesMu.Unlock()
	if pf != nil {
		return pf.f.Close()
	}
	return unix.Close(fd)
}
