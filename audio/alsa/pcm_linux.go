//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio"
)

// waitBound bounds how long a blocked Read or Write goes without looking
// at its context: a running device is ready every period, so this only
// matters for one that stalled. Close wakes a blocked transfer at once.
const waitBound = time.Second

// PCM is one open ALSA PCM stream (playback or capture) at the device's
// native rate, mono on the Go side (two-channel devices are mixed down on
// capture and fed the same signal on both channels on playback). As an
// audio.Source (capture) it blocks until the hardware has a period; as an
// audio.Sink (playback) it blocks while the hardware buffer is full.
type PCM struct {
	sys    sys
	fd     int
	path   string
	stream Stream
	params Params
	buf    []int16 // interleaved samples for one transfer
	part   []int16 // TryRead's frame, interleaved (try_linux.go)
	kept   int     // frames of part captured so far
	x      xferi   // the transfer's argument (kept: no allocation per frame)
	xruns  atomic.Int64
	mu     sync.Mutex // serialises transfers and Close
	closed atomic.Bool
}

// openPCM opens path and negotiates want (see negotiate).
func openPCM(s sys, path string, stream Stream, want Params) (*PCM, error) {
	fd, err := s.open(path)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			return nil, fmt.Errorf("alsa: open %s: %w", path, ErrBusy)
		}
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return nil, fmt.Errorf("alsa: open %s: %w (%v)", path, ErrNoDevice, err)
		}
		return nil, fmt.Errorf("alsa: open %s: %w", path, err)
	}
	p := &PCM{sys: s, fd: fd, path: path, stream: stream}
	if p.params, err = negotiate(s, fd, stream, want); err != nil {
		s.close(fd)
		return nil, fmt.Errorf("alsa: %s: %w", path, err)
	}
	if err := s.ioctl(fd, ioctlPrepare, nil); err != nil {
		s.close(fd)
		return nil, fmt.Errorf("alsa: %s: prepare: %w", path, err)
	}
	p.buf = make([]int16, p.params.PeriodFrames*p.params.Channels)
	return p, nil
}

// Params returns the negotiated parameters.
func (p *PCM) Params() Params { return p.params }

// XRuns returns how many over- or underruns were recovered from.
func (p *PCM) XRuns() int { return int(p.xruns.Load()) }

// Read captures len(frame) mono samples at the native rate.
func (p *PCM) Read(ctx context.Context, frame []int16) error {
	if p.stream != Capture {
		return fmt.Errorf("alsa: read from playback device %s", p.path)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kept = 0 // a frame TryRead began is dropped
	for len(frame) > 0 {
		n := min(len(frame), p.params.PeriodFrames)
		if err := p.transfer(ctx, ioctlReadI, n); err != nil {
			return err
		}
		ch := p.params.Channels
		for i := range n {
			if ch == 1 {
				frame[i] = p.buf[i]
			} else {
				frame[i] = int16((int32(p.buf[2*i]) + int32(p.buf[2*i+1])) >> 1)
			}
		}
		frame = frame[n:]
	}
	return nil
}

// Write plays len(frame) mono samples at the native rate.
func (p *PCM) Write(ctx context.Context, frame []int16) error {
	if p.stream != Playback {
		return fmt.Errorf("alsa: write to capture device %s", p.path)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(frame) > 0 {
		n := min(len(frame), p.params.PeriodFrames)
		ch := p.params.Channels
		for i, v := range frame[:n] {
			for c := range ch {
				p.buf[i*ch+c] = v
			}
		}
		if err := p.transfer(ctx, ioctlWriteI, n); err != nil {
			return err
		}
		frame = frame[n:]
	}
	return nil
}

// transfer moves n frames between p.buf and the device, waiting while the
// device is not ready (in the network poller, see kernel) and recovering
// from xruns and suspend.
func (p *PCM) transfer(ctx context.Context, req uintptr, n int) error {
	done := 0
	for done < n {
		if p.closed.Load() {
			return audio.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p.x = xferi{buf: unsafe.Pointer(&p.buf[done*p.params.Channels]), frames: uint(n - done)}
		err := p.sys.xfer(p.fd, req, &p.x, waitBound)
		runtime.KeepAlive(p.buf)
		switch {
		case err == nil:
			done += p.x.result
		case errors.Is(err, unix.EAGAIN): // waited waitBound, or woken by Close
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EPIPE): // overrun (capture) / underrun (playback)
			p.xruns.Add(1)
			if err := p.sys.ioctl(p.fd, ioctlPrepare, nil); err != nil {
				return fmt.Errorf("alsa: %s: prepare after xrun: %w", p.path, err)
			}
		case errors.Is(err, unix.ESTRPIPE): // system suspended
			if err := p.resume(ctx); err != nil {
				return err
			}
		case errors.Is(err, unix.ENODEV), errors.Is(err, unix.EBADFD):
			return fmt.Errorf("alsa: %s: %w (%v)", p.path, ErrNoDevice, err)
		default:
			return fmt.Errorf("alsa: %s: transfer: %w", p.path, err)
		}
	}
	return nil
}

// resume waits (up to a second) for the device to come back from
// suspend, re-preparing it if the driver cannot resume.
func (p *PCM) resume(ctx context.Context) error {
	for range 100 {
		err := p.sys.ioctl(p.fd, ioctlResume, nil)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EAGAIN) {
			break // not resumable (ENOSYS): start over with prepare
		}
		// The device polls as ready while suspended, so wait on a timer.
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if err := p.sys.ioctl(p.fd, ioctlPrepare, nil); err != nil {
		return fmt.Errorf("alsa: %s: prepare after suspend: %w", p.path, err)
	}
	return nil
}

// Delay reports the stream's delay (SNDRV_PCM_IOCTL_DELAY): for playback
// how long until a sample written now is played, for capture how long ago
// the oldest sample not yet read was captured. It does not wait for a
// transfer blocked in another goroutine.
func (p *PCM) Delay() (time.Duration, error) {
	if p.closed.Load() {
		return 0, audio.ErrClosed
	}
	var frames int
	if err := p.sys.ioctl(p.fd, ioctlDelay, unsafe.Pointer(&frames)); err != nil {
		return 0, fmt.Errorf("alsa: delay of %s: %w", p.path, err)
	}
	frames = max(frames, 0)
	return time.Duration(frames) * time.Second / time.Duration(p.params.Rate), nil
}

// Close stops the stream at once (dropping buffered samples) and closes
// the device. A transfer blocked in another goroutine returns at once
// with audio.ErrClosed.
func (p *PCM) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.sys.wake(p.fd)
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.sys.ioctl(p.fd, ioctlDrop, nil)
	_ = p.sys.ioctl(p.fd, ioctlHWFree, nil)
	if err := p.sys.close(p.fd); err != nil {
		return fmt.Errorf("alsa: close %s: %w", p.path, err)
	}
	return nil
}
