package interop

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// boundPorts reports which of ports a process has bound, read from
// /proc: its socket descriptors matched against the kernel's socket
// tables (UDP and TCP, IPv4 and IPv6). Unlike trying to bind a port
// oneself, it cannot mistake another process's socket for the peer's.
func boundPorts(pid int, ports ...int) (map[int]bool, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, fmt.Errorf("sockets of process %d: %w", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if inode, ok := strings.CutPrefix(l, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	want := map[int]bool{}
	for _, p := range ports {
		want[p] = true
	}
	got := map[int]bool{}
	for _, table := range []string{"udp", "udp6", "tcp", "tcp6"} {
		if err := scanSocketTable(fmt.Sprintf("/proc/%d/net/%s", pid, table), inodes, want, got); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// scanSocketTable marks in got each port of want that a socket of
// inodes has as its local port in the /proc/net table at path.
func scanSocketTable(path string, inodes map[string]bool, want, got map[int]bool) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil // no IPv6 in this kernel
	}
	if err != nil {
		return fmt.Errorf("socket table %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !inodes[fields[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && want[int(p)] {
			got[int(p)] = true
		}
	}
	return sc.Err()
}
