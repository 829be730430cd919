package sipdns

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
)

// maxServers bounds the nameservers used from resolv.conf (as the C
// library does).
const maxServers = 3

// systemServers returns the nameservers of path (host:53 each), or
// 127.0.0.1:53 when it names none or cannot be read.
func systemServers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{"127.0.0.1:53"}
	}
	defer f.Close()
	return parseResolvConf(io.LimitReader(f, 64<<10))
}

func parseResolvConf(r io.Reader) []string {
	var out []string
	s := bufio.NewScanner(r)
	for s.Scan() && len(out) < maxServers {
		f := strings.Fields(s.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		host, _, _ := strings.Cut(f[1], "%") // a zone: dial without it
		if a, err := netip.ParseAddr(host); err == nil {
			out = append(out, net.JoinHostPort(a.String(), "53"))
		}
	}
	if len(out) == 0 {
		return []string{"127.0.0.1:53"}
	}
	return out
}
