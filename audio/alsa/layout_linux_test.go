//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"runtime"
	"testing"
	"unsafe"
)

// The kernel ABI per architecture, as checked with C programs under qemu
// (see docs in shared facts, go-libraries.md section 5). 32-bit ABIs have a
// 4-byte snd_pcm_uframes_t, 64-bit ones 8 bytes.
func TestLayoutMatchesKernelABI(t *testing.T) {
	type abi struct {
		hw, sw, xfer                      uintptr
		hwParams, swParams, writeI, readI uintptr
		hwRefine                          uintptr
	}
	abi32 := abi{604, 104, 12, 0xc25c4111, 0xc0684113, 0x400c4150, 0x800c4151, 0xc25c4110}
	abi64 := abi{608, 136, 24, 0xc2604111, 0xc0884113, 0x40184150, 0x80184151, 0xc2604110}
	want := map[string]abi{"arm": abi32, "386": abi32, "arm64": abi64, "amd64": abi64, "riscv64": abi64, "loong64": abi64}
	w, ok := want[runtime.GOARCH]
	if !ok {
		t.Fatalf("no expected ALSA ABI recorded for GOARCH=%s: add it to this table", runtime.GOARCH)
	}
	got := abi{unsafe.Sizeof(hwParams{}), unsafe.Sizeof(swParams{}), unsafe.Sizeof(xferi{}),
		ioctlHWParams, ioctlSWParams, ioctlWriteI, ioctlReadI, ioctlHWRefine}
	if got != w {
		t.Errorf("GOARCH=%s: got %#v\nwant %#v", runtime.GOARCH, got, w)
	}
	// Field offsets that the kernel reads.
	var hw hwParams
	if off := unsafe.Offsetof(hw.intervals); off != 4+8*32 {
		t.Errorf("intervals at %d, want 260", off)
	}
	if off := unsafe.Offsetof(hw.rmask); off != 260+21*12 {
		t.Errorf("rmask at %d, want 512", off)
	}
	var sw swParams
	wantAvail := uintptr(12)
	if unsafe.Sizeof(uint(0)) == 8 {
		wantAvail = 16
	}
	if off := unsafe.Offsetof(sw.availMin); off != wantAvail {
		t.Errorf("sw avail_min at %d, want %d", off, wantAvail)
	}
	for name, v := range map[string]uintptr{"PREPARE": ioctlPrepare, "DROP": ioctlDrop, "RESUME": ioctlResume, "START": ioctlStart, "HW_FREE": ioctlHWFree} {
		if v>>16 != 0 || v>>8&0xff != 'A' {
			t.Errorf("%s = %#x: want _IO('A', n)", name, v)
		}
	}
	if ioctlPrepare != 0x4140 || ioctlDrop != 0x4143 || ioctlResume != 0x4147 {
		t.Errorf("PREPARE/DROP/RESUME = %#x %#x %#x", ioctlPrepare, ioctlDrop, ioctlResume)
	}
}

func TestIntervalBounds(t *testing.T) {
	tests := []struct {
		iv     interval
		lo, hi uint32
		ok     bool
	}{
		{interval{min: 8000, max: 48000}, 8000, 48000, true},
		{interval{min: 8000, max: 48000, flags: ivOpenMin | ivOpenMax}, 8001, 47999, true},
		{interval{min: 5, max: 5, flags: ivEmpty}, 5, 5, false},
		{interval{min: 6, max: 5}, 6, 5, false},
	}
	for _, tc := range tests {
		lo, hi, ok := tc.iv.bounds()
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("%+v.bounds() = %d %d %v", tc.iv, lo, hi, ok)
		}
	}
}
