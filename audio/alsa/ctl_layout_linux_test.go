//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestCtlLayoutMatchesKernelABI: the control interface's structs and
// ioctl numbers per architecture (<sound/asound.h>: snd_ctl_elem_list
// holds a pointer, snd_ctl_elem_value a union of long[128] aligned as
// long long).
func TestCtlLayoutMatchesKernelABI(t *testing.T) {
	t.Parallel()
	type abi struct {
		id, list, info, value          uintptr
		ioList, ioInfo, ioRead, ioWrit uintptr
	}
	arm := abi{64, 72, 272, 712, 0xc0485510, 0xc1105511, 0xc2c85512, 0xc2c85513}
	i386 := abi{64, 72, 272, 708, 0xc0485510, 0xc1105511, 0xc2c45512, 0xc2c45513}
	abi64 := abi{64, 80, 272, 1224, 0xc0505510, 0xc1105511, 0xc4c85512, 0xc4c85513}
	want := map[string]abi{"arm": arm, "386": i386, "arm64": abi64, "amd64": abi64, "riscv64": abi64, "loong64": abi64}
	w, ok := want[runtime.GOARCH]
	if !ok {
		t.Fatalf("no expected control ABI recorded for GOARCH=%s: add it to this table", runtime.GOARCH)
	}
	got := abi{unsafe.Sizeof(ctlElemID{}), unsafe.Sizeof(ctlElemList{}), unsafe.Sizeof(ctlElemInfo{}), unsafe.Sizeof(ctlElemValue{}),
		ioctlCtlElemList, ioctlCtlElemInfo, ioctlCtlElemRead, ioctlCtlElemWrit}
	if got != w {
		t.Errorf("GOARCH=%s: got %#v\nwant %#v", runtime.GOARCH, got, w)
	}
	if ioctlCtlPVersion != 0x80045500 {
		t.Errorf("PVERSION = %#x, want 0x80045500", ioctlCtlPVersion)
	}
	var info ctlElemInfo
	var v ctlElemValue
	if off := unsafe.Offsetof(info.value); off != 80 {
		t.Errorf("info value union at %d, want 80", off)
	}
	if off, want := unsafe.Offsetof(v.value), map[bool]uintptr{true: 68, false: 72}[runtime.GOARCH == "386"]; off != want {
		t.Errorf("value union at %d, want %d", off, want)
	}
}
