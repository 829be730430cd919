package main

import (
	"bufio"
	"bytes"
	ebin "encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// pageSize is the page size of every Linux the bench runs on.
const pageSize = 4096

// binSym is one symbol of the binary: where it is and its package.
type binSym struct {
	addr, size uint64
	pkg        string
	code       bool
}

// binarySymbols lists bin's sized symbols (go tool nm): none when it was
// stripped (-ldflags -s; build it without, the layout is the same).
func binarySymbols(bin string) ([]binSym, error) {
	out, err := exec.Command("go", "tool", "nm", "-size", "-sort", "address", bin).CombinedOutput()
	if strings.Contains(string(out), "no symbols") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("go tool nm %s: %w", bin, err)
	}
	var syms []binSym
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		addr, err1 := strconv.ParseUint(f[0], 16, 64)
		size, err2 := strconv.ParseUint(f[1], 10, 64)
		if err1 != nil || err2 != nil || size == 0 {
			continue
		}
		syms = append(syms, binSym{addr: addr, size: size, pkg: symbolPackage(strings.Join(f[3:], " ")),
			code: f[2] == "T" || f[2] == "t"})
	}
	return syms, nil
}

// symbolPackage is the package path of a Go symbol name: up to the first
// dot after the last slash ("crypto/tls.(*Conn).Read" → "crypto/tls").
func symbolPackage(name string) string {
	slash := strings.LastIndexByte(name, '/')
	if i := strings.IndexByte(name[slash+1:], '.'); i >= 0 {
		return name[:slash+1+i]
	}
	return name
}

// residentPages returns which pages of [lo, hi) are mapped in the
// process (/proc/PID/pagemap's present bit), by page index from lo.
func residentPages(pid int, lo, hi uint64) ([]bool, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := (hi - lo) / pageSize
	buf := make([]byte, 8*n)
	if _, err := f.ReadAt(buf, int64(lo/pageSize*8)); err != nil && err != io.EOF {
		return nil, fmt.Errorf("pagemap %d: %w", pid, err)
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = ebin.LittleEndian.Uint64(buf[8*i:])&(1<<63) != 0
	}
	return out, nil
}

// binaryRange is the address range of bin's mapping with perms (e.g.
// "r-xp") in the process.
func binaryRange(pid int, bin, perms string) (lo, hi uint64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0, 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[1] != perms || f[5] != bin {
			continue
		}
		a, z, _ := strings.Cut(f[0], "-")
		lo, _ = strconv.ParseUint(a, 16, 64)
		hi, _ = strconv.ParseUint(z, 16, 64)
		return lo, hi, true
	}
	return 0, 0, false
}

// pkgPages is one package's code: bytes in all, and in resident pages.
type pkgPages struct {
	pkg             string
	total, resident uint64
}

// residentCode attributes the resident pages of the binary's text
// mapping to the packages whose code lies in them, biggest first.
func residentCode(pid int, bin string, syms []binSym) ([]pkgPages, error) {
	lo, hi, ok := binaryRange(pid, bin, "r-xp")
	if !ok {
		return nil, fmt.Errorf("no text mapping of %s in %d", bin, pid)
	}
	res, err := residentPages(pid, lo, hi)
	if err != nil {
		return nil, err
	}
	by := map[string]*pkgPages{}
	for _, s := range syms {
		if !s.code || s.addr < lo || s.addr >= hi {
			continue
		}
		p := by[s.pkg]
		if p == nil {
			p = &pkgPages{pkg: s.pkg}
			by[s.pkg] = p
		}
		p.total += s.size
		for a := s.addr; a < s.addr+s.size; {
			next := min((a/pageSize+1)*pageSize, s.addr+s.size)
			if i := (a - lo) / pageSize; i < uint64(len(res)) && res[i] {
				p.resident += next - a
			}
			a = next
		}
	}
	out := make([]pkgPages, 0, len(by))
	for _, p := range by {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b pkgPages) int { return int(b.resident) - int(a.resident) })
	return out, nil
}

// printResidentCode prints the n packages with the most resident code
// and the sum of the rest.
func printResidentCode(w io.Writer, when string, pkgs []pkgPages, n int) {
	var res, tot uint64
	for _, p := range pkgs {
		res, tot = res+p.resident, tot+p.total
	}
	fmt.Fprintf(w, "%s: code in resident pages %d of %d kB, by package (kB resident/size):\n", when, res>>10, tot>>10)
	var rest pkgPages
	for i, p := range pkgs {
		if i >= n {
			rest.resident, rest.total = rest.resident+p.resident, rest.total+p.total
			continue
		}
		fmt.Fprintf(w, "  %6d/%6d  %s\n", p.resident>>10, p.total>>10, p.pkg)
	}
	fmt.Fprintf(w, "  %6d/%6d  (%d other packages)\n", rest.resident>>10, rest.total>>10, max(len(pkgs)-n, 0))
}
