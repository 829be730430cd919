//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import "unsafe"

// Kernel constants from <sound/asound.h>.
const (
	accessRWInterleaved = 3 // SNDRV_PCM_ACCESS_RW_INTERLEAVED
	formatS16LE         = 2 // SNDRV_PCM_FORMAT_S16_LE
	subformatStd        = 0 // SNDRV_PCM_SUBFORMAT_STD

	// Mask parameters.
	paramAccess    = 0
	paramFormat    = 1
	paramSubformat = 2
	// Interval parameters (index into hwParams.intervals is param-8).
	paramSampleBits  = 8
	paramFrameBits   = 9
	paramChannels    = 10
	paramRate        = 11
	paramPeriodTime  = 12
	paramPeriodSize  = 13
	paramPeriodBytes = 14
	paramPeriods     = 15
	paramBufferTime  = 16
	paramBufferSize  = 17
	paramBufferBytes = 18
	paramTickTime    = 19
	firstInterval    = paramSampleBits

	protoVersion = 2<<16 | 0<<8 | 14 // SNDRV_PCM_VERSION 2.0.14
)

// interval is struct snd_interval: [min, max] plus the bit fields openmin,
// openmax, integer and empty (bits 0..3 of flags on little-endian ABIs).
type interval struct {
	min, max uint32
	flags    uint32
}

const (
	ivOpenMin = 1 << iota
	ivOpenMax
	ivInteger
	ivEmpty
)

// mask is struct snd_mask: 256 bits.
type mask struct{ bits [8]uint32 }

// hwParams is struct snd_pcm_hw_params.
type hwParams struct {
	flags     uint32
	masks     [3]mask // ACCESS, FORMAT, SUBFORMAT
	mres      [5]mask
	intervals [12]interval // SAMPLE_BITS .. TICK_TIME
	ires      [9]interval
	rmask     uint32
	cmask     uint32
	info      uint32
	msbits    uint32
	rateNum   uint32
	rateDen   uint32
	fifoSize  uint // snd_pcm_uframes_t
	reserved  [64]byte
}

// swParams is struct snd_pcm_sw_params.
type swParams struct {
	tstampMode       int32
	periodStep       uint32
	sleepMin         uint32
	availMin         uint // snd_pcm_uframes_t from here on
	xferAlign        uint
	startThreshold   uint
	stopThreshold    uint
	silenceThreshold uint
	silenceSize      uint
	boundary         uint
	proto            uint32
	tstampType       uint32
	reserved         [56]byte
}

// xferi is struct snd_xferi.
type xferi struct {
	result int            // snd_pcm_sframes_t
	buf    unsafe.Pointer // void *
	frames uint           // snd_pcm_uframes_t
}

// ioctl request encoding of asm-generic/ioctl.h (arm, arm64, x86, riscv).
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | uintptr('A')<<8 | nr }

// The PCM ioctls, computed from this architecture's struct sizes.
var (
	ioctlHWRefine = ioc(iocRead|iocWrite, 0x10, unsafe.Sizeof(hwParams{}))
	ioctlHWParams = ioc(iocRead|iocWrite, 0x11, unsafe.Sizeof(hwParams{}))
	ioctlHWFree   = ioc(iocNone, 0x12, 0)
	ioctlSWParams = ioc(iocRead|iocWrite, 0x13, unsafe.Sizeof(swParams{}))
	ioctlPrepare  = ioc(iocNone, 0x40, 0)
	ioctlStart    = ioc(iocNone, 0x42, 0)
	ioctlDrop     = ioc(iocNone, 0x43, 0)
	ioctlResume   = ioc(iocNone, 0x47, 0)
	ioctlDelay    = ioc(iocRead, 0x21, unsafe.Sizeof(int(0))) // snd_pcm_sframes_t
	ioctlWriteI   = ioc(iocWrite, 0x50, unsafe.Sizeof(xferi{}))
	ioctlReadI    = ioc(iocRead, 0x51, unsafe.Sizeof(xferi{}))
)

// any initialises p to "everything allowed", like snd_pcm_hw_params_any.
func (p *hwParams) any() {
	*p = hwParams{}
	for i := range p.masks {
		for j := range p.masks[i].bits {
			p.masks[i].bits[j] = ^uint32(0)
		}
	}
	for i := range p.intervals {
		p.intervals[i] = interval{min: 0, max: ^uint32(0)}
	}
	p.rmask = ^uint32(0)
	p.info = ^uint32(0)
}

// setMask restricts mask parameter param to the single value v.
func (p *hwParams) setMask(param, v int) {
	m := &p.masks[param]
	*m = mask{}
	m.bits[v/32] = 1 << (v % 32)
}

// hasMask reports whether value v is allowed for mask parameter param.
func (p *hwParams) hasMask(param, v int) bool {
	return p.masks[param].bits[v/32]&(1<<(v%32)) != 0
}

// iv returns interval parameter param.
func (p *hwParams) iv(param int) *interval { return &p.intervals[param-firstInterval] }

// set restricts interval parameter param to [lo, hi], integer.
func (p *hwParams) set(param int, lo, hi uint32) {
	*p.iv(param) = interval{min: lo, max: hi, flags: ivInteger}
}

// bounds returns the closed integer range an interval allows; ok is false
// when it is empty.
func (iv interval) bounds() (lo, hi uint32, ok bool) {
	lo, hi = iv.min, iv.max
	if iv.flags&ivOpenMin != 0 {
		lo++
	}
	if iv.flags&ivOpenMax != 0 && hi > 0 {
		hi--
	}
	return lo, hi, iv.flags&ivEmpty == 0 && lo <= hi
}
