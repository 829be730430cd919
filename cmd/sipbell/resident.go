package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxMapsBytes bounds how much of /proc/self/maps releaseStartupPages reads.
const maxMapsBytes = 1 << 20

// releaseStartupPages unmaps this process's read-only pages of its own
// executable (code, read-only data, the runtime's function tables) once
// start-up is done. Start-up runs every package's init, reads and
// validates the configuration and wires the core: code and tables used
// once, which would otherwise stay mapped for the life of the process
// (about 80 % of the resident memory was the binary's own pages, issue 16).
// The pages stay in the kernel's page cache; whatever runs again faults
// its pages back in from there. Only mappings without write permission
// are released: their contents are the file's, so nothing is lost.
func releaseStartupPages(log *slog.Logger) {
	before := selfStatusKB("RssFile")
	released, err := releaseExecutablePages()
	if err != nil {
		log.Debug("start-up pages kept", "err", err)
		if released == 0 {
			return
		}
	}
	log.Info("start-up pages released", "mapped_kb", released>>10, "rss_file_kb_before", before, "rss_file_kb_after", selfStatusKB("RssFile"))
}

// releaseExecutablePages unmaps the executable's read-only mappings
// (releaseStartupPages) and returns the bytes
// mapped, with the first error (a range that could not be released is
// skipped; the others still are).
func releaseExecutablePages() (uint64, error) {
	exe, err := os.Executable()
	if err == nil {
		err = fixedAddressExecutable(exe)
	}
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var released uint64
	var first error
	sc := bufio.NewScanner(io.LimitReader(f, maxMapsBytes))
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED); errno != 0 {
			if first == nil {
				first = fmt.Errorf("madvise %x-%x: %w", start, end, errno)
			}
			continue
		}
		released += uint64(end - start)
	}
	return released, first
}

// fixedAddressExecutable says whether the file exe is an ELF executable
// linked at a fixed address (type ET_EXEC, as Go builds by default): then
// its read-only mappings hold the file's bytes exactly. A position-
// independent build (-buildmode=pie, ET_DYN) has pages the loader
// relocated and then made read-only (RELRO): released, they would come
// back from the file unrelocated.
func fixedAddressExecutable(exe string) error {
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	var h [18]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("reading the ELF header of %s: %w", exe, err)
	}
	return elfFixedAddress(h)
}

// elfFixedAddress checks an ELF header's first 18 bytes: the magic, and
// e_type ET_EXEC (2) in the file's byte order.
func elfFixedAddress(h [18]byte) error {
	if string(h[:4]) != "\x7fELF" {
		return fmt.Errorf("not an ELF file")
	}
	typ := uint16(h[16]) | uint16(h[17])<<8 // ELFDATA2LSB
	if h[5] == 2 {                          // ELFDATA2MSB
		typ = uint16(h[16])<<8 | uint16(h[17])
	}
	if typ != 2 {
		return fmt.Errorf("ELF type %d is not a fixed-address executable (ET_EXEC)", typ)
	}
	return nil
}

// readOnlyMapping parses one /proc/self/maps line: the address range of a
// mapping of the file exe without write permission.
func readOnlyMapping(line, exe string) (start, end uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) != 6 || f[5] != exe || strings.Contains(f[1], "w") {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if !found || err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}

// selfStatusKB is a kB figure of /proc/self/status (such as RssFile), 0 when
// it cannot be read.
func selfStatusKB(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
