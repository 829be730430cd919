//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"encoding/binary"
	"unsafe"
)

// Control-interface constants from <sound/asound.h>.
const (
	ctlNameLen = 44 // SNDRV_CTL_ELEM_ID_NAME_MAXLEN

	ctlIfaceMixer = 2 // SNDRV_CTL_ELEM_IFACE_MIXER
	ctlIfacePCM   = 3 // SNDRV_CTL_ELEM_IFACE_PCM: controls of one PCM (snd-aloop's)

	// Element types (SNDRV_CTL_ELEM_TYPE_*).
	ctlTypeBoolean    = 1
	ctlTypeInteger    = 2
	ctlTypeEnumerated = 3

	// Access bits (SNDRV_CTL_ELEM_ACCESS_*).
	ctlAccessRead     = 1 << 0
	ctlAccessWrite    = 1 << 1
	ctlAccessInactive = 1 << 8

	ctlMaxValues = 128 // values in snd_ctl_elem_value's integer array
)

// ctlElemID is struct snd_ctl_elem_id (64 bytes on every ABI).
type ctlElemID struct {
	numid     uint32
	iface     int32
	device    uint32
	subdevice uint32
	name      [ctlNameLen]byte
	index     uint32
}

// ctlElemList is struct snd_ctl_elem_list.
type ctlElemList struct {
	offset   uint32
	space    uint32
	used     uint32
	count    uint32
	pids     unsafe.Pointer // struct snd_ctl_elem_id *
	reserved [50]byte
}

// ctlElemInfo is struct snd_ctl_elem_info; value is the union (integer:
// three longs; enumerated: items, item, name[64], ...), 8-aligned on every
// ABI sipbell runs on (it holds long longs; i386 aligns them to 4, but the
// union starts at 80 either way).
type ctlElemInfo struct {
	id       ctlElemID
	typ      int32
	access   uint32
	count    uint32
	owner    int32
	value    [128]byte
	reserved [64]byte
}

// ctlElemValue is struct snd_ctl_elem_value: the id, the indirect bit and
// the value union, whose integer form is long[128] (a long long union
// member aligns it to 8, except on i386).
type ctlElemValue struct {
	id       ctlElemID
	indirect uint32
	_        [ctlValuePad]byte
	value    [ctlMaxValues]int // long value[128]
	reserved [128]byte
}

// ioctl request encoding for the control device ('U').
func iocU(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | uintptr('U')<<8 | nr }

// The control ioctls, computed from this architecture's struct sizes.
var (
	ioctlCtlPVersion = iocU(iocRead, 0x00, unsafe.Sizeof(int32(0)))
	ioctlCtlElemList = iocU(iocRead|iocWrite, 0x10, unsafe.Sizeof(ctlElemList{}))
	ioctlCtlElemInfo = iocU(iocRead|iocWrite, 0x11, unsafe.Sizeof(ctlElemInfo{}))
	ioctlCtlElemRead = iocU(iocRead|iocWrite, 0x12, unsafe.Sizeof(ctlElemValue{}))
	ioctlCtlElemWrit = iocU(iocRead|iocWrite, 0x13, unsafe.Sizeof(ctlElemValue{}))
)

// infoInteger returns the integer range of an INTEGER element's info
// (three longs: min, max, step).
func (i *ctlElemInfo) infoInteger() (lo, hi, step int) {
	long := func(k int) int {
		if unsafe.Sizeof(int(0)) == 8 {
			return int(int64(binary.NativeEndian.Uint64(i.value[8*k:])))
		}
		return int(int32(binary.NativeEndian.Uint32(i.value[4*k:])))
	}
	return long(0), long(1), long(2)
}

// infoEnum returns an ENUMERATED element's item count and the name of the
// item asked for in setEnumItem.
func (i *ctlElemInfo) infoEnum() (items uint32, name string) {
	p := (*struct {
		items, item uint32
		name        [64]byte
	})(unsafe.Pointer(&i.value[0]))
	return p.items, cString(p.name[:])
}

// setEnumItem asks ELEM_INFO for the name of item k.
func (i *ctlElemInfo) setEnumItem(k uint32) {
	*(*uint32)(unsafe.Pointer(&i.value[4])) = k
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
