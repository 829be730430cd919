//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeCard simulates the kernel side of one PCM device: a constraint
// solver for hw params over the sets of values the "codec" allows, and
// scripted results for transfers.
type fakeCard struct {
	mu         sync.Mutex
	openErrs   []error // returned by successive opens before succeeding
	formats    []int
	channels   []uint32
	rates      []uint32 // discrete rates; empty with rateRange set means continuous
	rateRange  [2]uint32
	periodSize [2]uint32
	periods    [2]uint32
	periodStep uint32 // period sizes must be multiples of this (0: any)

	granted hwParams
	sw      swParams
	calls   []string
	script  []error // results of successive READI/WRITEI calls; nil = transfer
	partial bool    // transfer half of what is asked
	resume  []error // results of successive RESUMEs
	written []int16 // interleaved samples played
	next    int16   // next captured sample value
	delay   int     // frames SNDRV_PCM_IOCTL_DELAY reports
	closed  bool
}

func newCard() *fakeCard {
	return &fakeCard{
		formats:    []int{formatS16LE},
		channels:   []uint32{1, 2},
		rates:      []uint32{8000, 16000, 44100, 48000},
		periodSize: [2]uint32{32, 8192},
		periods:    [2]uint32{2, 32},
	}
}

func (c *fakeCard) log(s string) { c.calls = append(c.calls, s) }

func (c *fakeCard) count(s string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		if v == s {
			n++
		}
	}
	return n
}

func (c *fakeCard) open(path string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log("open " + path)
	if len(c.openErrs) > 0 {
		err := c.openErrs[0]
		c.openErrs = c.openErrs[1:]
		return -1, err
	}
	return 3, nil
}

func (c *fakeCard) close(fd int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log("close")
	c.closed = true
	return nil
}

// xfer is the transfer ioctl; on EAGAIN a wait for the device is logged
// as "poll" and lasts a millisecond (a device that is never ready must
// not spin hot).
func (c *fakeCard) xfer(fd int, req uintptr, x *xferi, timeout time.Duration) error {
	err := c.ioctl(fd, req, unsafe.Pointer(x))
	if err != unix.EAGAIN {
		return err
	}
	c.mu.Lock()
	c.log("poll")
	c.mu.Unlock()
	time.Sleep(time.Millisecond)
	return unix.EAGAIN
}

// tryXfer is the transfer ioctl, logged as "try".
func (c *fakeCard) tryXfer(fd int, req uintptr, x *xferi) error {
	c.mu.Lock()
	c.log("try")
	c.mu.Unlock()
	return c.ioctl(fd, req, unsafe.Pointer(x))
}

func (c *fakeCard) wake(int) {}

// restrict narrows [lo, hi] to the allowed values (set, or a range).
func restrict(iv *interval, set []uint32, rng [2]uint32) bool {
	lo, hi, ok := iv.bounds()
	if !ok {
		return false
	}
	if len(set) == 0 {
		lo, hi = max(lo, rng[0]), min(hi, rng[1])
		*iv = interval{min: lo, max: hi, flags: ivInteger}
		return lo <= hi
	}
	var in []uint32
	for _, v := range set {
		if v >= lo && v <= hi {
			in = append(in, v)
		}
	}
	if len(in) == 0 {
		return false
	}
	*iv = interval{min: slices.Min(in), max: slices.Max(in), flags: ivInteger}
	return true
}

func (c *fakeCard) refine(hw *hwParams) error {
	if !hw.hasMask(paramAccess, accessRWInterleaved) {
		return unix.EINVAL
	}
	ok := false
	for _, f := range c.formats {
		ok = ok || hw.hasMask(paramFormat, f)
	}
	if !ok ||
		!restrict(hw.iv(paramChannels), c.channels, [2]uint32{}) ||
		!restrict(hw.iv(paramRate), c.rates, c.rateRange) ||
		!restrict(hw.iv(paramPeriodSize), nil, c.periodSize) ||
		!restrict(hw.iv(paramPeriods), nil, c.periods) {
		return unix.EINVAL
	}
	if st := c.periodStep; st > 0 { // round the range inward to multiples
		iv := hw.iv(paramPeriodSize)
		lo, hi := (iv.min+st-1)/st*st, iv.max/st*st
		if lo > hi {
			return unix.EINVAL
		}
		iv.min, iv.max = lo, hi
	}
	return nil
}

func (c *fakeCard) ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch req {
	case ioctlHWRefine:
		c.log("refine")
		return c.refine((*hwParams)(arg))
	case ioctlHWParams:
		c.log("hw_params")
		hw := (*hwParams)(arg)
		if err := c.refine(hw); err != nil {
			return err
		}
		for _, p := range []int{paramChannels, paramRate, paramPeriodSize, paramPeriods} {
			hw.set(p, hw.iv(p).min, hw.iv(p).min)
		}
		b := hw.iv(paramPeriodSize).min * hw.iv(paramPeriods).min
		hw.set(paramBufferSize, b, b)
		c.granted = *hw
		return nil
	case ioctlSWParams:
		c.log("sw_params")
		c.sw = *(*swParams)(arg)
		return nil
	case ioctlPrepare:
		c.log("prepare")
	case ioctlDrop:
		c.log("drop")
	case ioctlHWFree:
		c.log("hw_free")
	case ioctlResume:
		c.log("resume")
		if len(c.resume) > 0 {
			err := c.resume[0]
			c.resume = c.resume[1:]
			return err
		}
	case ioctlReadI, ioctlWriteI:
		return c.transfer(req, (*xferi)(arg))
	case ioctlDelay:
		*(*int)(arg) = c.delay
		return nil
	default:
		return unix.ENOTTY
	}
	return nil
}

func (c *fakeCard) transfer(req uintptr, x *xferi) error {
	if len(c.script) > 0 {
		err := c.script[0]
		c.script = c.script[1:]
		if err != nil {
			c.log(err.Error())
			return err
		}
	}
	n := x.frames
	if c.partial && n > 1 {
		n /= 2
	}
	ch := uint(c.granted.iv(paramChannels).min)
	buf := unsafe.Slice((*int16)(x.buf), n*ch)
	if req == ioctlWriteI {
		c.written = append(c.written, buf...)
	} else {
		for i := range buf {
			buf[i] = c.next
			if i%int(ch) == int(ch)-1 {
				c.next++
			}
		}
	}
	x.result = int(n)
	return nil
}
