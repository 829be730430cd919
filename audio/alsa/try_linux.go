//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio"
)

// TryRead captures len(frame) mono samples at the native rate without
// waiting (audio.TryReader, issue 16): it takes what the device has
// captured, keeping a part of a frame for the next call, and reports true
// once the frame is whole, false while the device has not captured it
// yet. The first call starts the stream. An overrun is recovered from
// (the part kept is dropped) and reported as no frame yet. A source is
// read either with TryRead or with Read: Read drops a part TryRead kept.
func (p *PCM) TryRead(frame []int16) (bool, error) {
	if p.stream != Capture {
		return false, fmt.Errorf("alsa: read from playback device %s", p.path)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.params.Channels
	if need := len(frame) * ch; len(p.part) != need {
		p.part, p.kept = make([]int16, need), 0 // a frame size's first TryRead
	}
	for p.kept < len(frame) {
		if p.closed.Load() {
			return false, audio.ErrClosed
		}
		p.x = xferi{buf: unsafe.Pointer(&p.part[p.kept*ch]), frames: uint(len(frame) - p.kept)}
		err := p.sys.tryXfer(p.fd, ioctlReadI, &p.x)
		runtime.KeepAlive(p.part)
		if err != nil {
			return false, p.tryFailed(err)
		}
		if p.x.result <= 0 {
			return false, nil
		}
		p.kept += p.x.result
	}
	for i := range frame {
		if ch == 1 {
			frame[i] = p.part[i]
		} else {
			frame[i] = int16((int32(p.part[2*i]) + int32(p.part[2*i+1])) >> 1)
		}
	}
	p.kept = 0
	return true, nil
}

// tryFailed handles a failed transfer of TryRead: nil (no frame yet) when
// the device has nothing captured or was recovered, else the error.
func (p *PCM) tryFailed(err error) error {
	switch {
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		return nil
	case errors.Is(err, unix.EPIPE): // overrun
		p.xruns.Add(1)
		p.kept = 0
		if err := p.sys.ioctl(p.fd, ioctlPrepare, nil); err != nil {
			return fmt.Errorf("alsa: %s: prepare after xrun: %w", p.path, err)
		}
		return nil
	case errors.Is(err, unix.ESTRPIPE): // suspended: resume, or start over
		p.kept = 0
		rerr := p.sys.ioctl(p.fd, ioctlResume, nil)
		if rerr == nil || errors.Is(rerr, unix.EAGAIN) {
			return nil
		}
		if err := p.sys.ioctl(p.fd, ioctlPrepare, nil); err != nil {
			return fmt.Errorf("alsa: %s: prepare after suspend: %w", p.path, err)
		}
		return nil
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.EBADFD):
		return fmt.Errorf("alsa: %s: %w (%v)", p.path, ErrNoDevice, err)
	default:
		return fmt.Errorf("alsa: %s: transfer: %w", p.path, err)
	}
}

// CanTryRead reports true: a sound card's captured frames can always be
// taken without waiting (audio.MaybeTryReader).
func (d *CaptureDevice) CanTryRead() bool { return true }

// TryRead captures one call-format frame without waiting, when the
// device has captured it (see PCM.TryRead).
func (d *CaptureDevice) TryRead(frame []int16) (bool, error) { return d.src.TryRead(frame) }
