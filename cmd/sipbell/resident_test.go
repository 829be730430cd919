package main

import (
	"os"
	"testing"
)

// TestReadOnlyMapping: only the executable's mappings without write
// permission are released.
func TestReadOnlyMapping(t *testing.T) {
	const exe = "/usr/bin/sipbell"
	tests := []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"00400000-00b61000 r-xp 00000000 fe:01 123 /usr/bin/sipbell", 0x400000, 0xb61000, true},
		{"00b61000-012aa000 r--p 00761000 fe:01 123 /usr/bin/sipbell", 0xb61000, 0x12aa000, true},
		{"012aa000-01312000 rw-p 00eaa000 fe:01 123 /usr/bin/sipbell", 0, 0, false},           // data: written
		{"7f00000-7f01000 r--p 00000000 fe:01 9 /usr/lib/other", 0, 0, false},                 // another file
		{"01312000-01400000 rw-p 00000000 00:00 0", 0, 0, false},                              // anonymous
		{"00400000-00b61000 r-xp 00000000 fe:01 123 /usr/bin/sipbell (deleted)", 0, 0, false}, // replaced on disk
		{"zz-00b61000 r-xp 00000000 fe:01 123 /usr/bin/sipbell", 0, 0, false},
		{"00b61000-00400000 r-xp 00000000 fe:01 123 /usr/bin/sipbell", 0, 0, false},
	}
	for _, tc := range tests {
		start, end, ok := readOnlyMapping(tc.line, exe)
		if start != tc.start || end != tc.end || ok != tc.ok {
			t.Errorf("readOnlyMapping(%q) = %x, %x, %v; want %x, %x, %v", tc.line, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
}

// TestELFFixedAddress: only a fixed-address executable's pages are
// released; a position-independent one's read-only pages may be
// relocated copies the file does not hold.
func TestELFFixedAddress(t *testing.T) {
	header := func(magic string, data byte, typ [2]byte) (h [18]byte) {
		copy(h[:], magic)
		h[5] = data
		h[16], h[17] = typ[0], typ[1]
		return h
	}
	tests := []struct {
		name string
		h    [18]byte
		ok   bool
	}{
		{"little-endian ET_EXEC", header("\x7fELF", 1, [2]byte{2, 0}), true},
		{"big-endian ET_EXEC", header("\x7fELF", 2, [2]byte{0, 2}), true},
		{"PIE (ET_DYN)", header("\x7fELF", 1, [2]byte{3, 0}), false},
		{"big-endian PIE", header("\x7fELF", 2, [2]byte{0, 3}), false},
		{"not ELF", header("#!/b", 1, [2]byte{2, 0}), false},
	}
	for _, tc := range tests {
		if err := elfFixedAddress(tc.h); (err == nil) != tc.ok {
			t.Errorf("%s: elfFixedAddress = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := fixedAddressExecutable(exe); err != nil {
		t.Errorf("this test binary: %v (go test builds fixed-address executables)", err)
	}
}

// TestStartupPagesReleasedBinary: once ready, the real binary unmaps the
// read-only pages of its executable that start-up touched (issue 16: they
// were most of its resident memory), and what runs afterwards (here the
// whole shutdown) faults its code back in and works.
func TestStartupPagesReleasedBinary(t *testing.T) {
	t.Parallel()
	p := start(t, nil)
	p.await(t, "ready")
	line := p.await(t, "start-up pages released")
	mapped, _ := line["mapped_kb"].(float64)
	before, _ := line["rss_file_kb_before"].(float64)
	after, _ := line["rss_file_kb_after"].(float64)
	if mapped <= 0 || after >= before {
		t.Errorf("start-up pages released: mapped %v kB, file-backed RSS %v -> %v kB; want pages released and the RSS lower", mapped, before, after)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d after the release, want 0", code)
	}
}
