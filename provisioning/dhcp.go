package provisioning

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// DHCP options that carry a provisioning location, as IP phones use them.
const (
	dhcpOptTFTPServer = 66  // TFTP server name (often a full URL)
	dhcpOptBootfile   = 67  // boot file name
	dhcpOptProvURL    = 160 // provisioning URL (Polycom/Yealink convention)
)

// LeaseOptions are the provisioning-related options found in a lease.
type LeaseOptions struct {
	ProvURL    string // option 160
	TFTPServer string // option 66 (or the BOOTP sname field)
	Bootfile   string // option 67 (or the BOOTP file field)
	Vendor     string // option 43, used when it is a URL as text
}

// URL returns the provisioning URL template these options give: option
// 160 first, as phones do, then an http(s) URL in 43 when there is no
// 66 or 67, then 66 (+67). A bare host in 66 means
// http://host/. When no file name is given, "{mac}.yaml" is used.
func (o LeaseOptions) URL() string {
	if u := strings.TrimSpace(o.ProvURL); u != "" {
		return withFile(u, "")
	}
	if v := strings.TrimSpace(o.Vendor); o.TFTPServer == "" && o.Bootfile == "" &&
		(strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")) {
		return withFile(v, "")
	}
	base := strings.TrimSpace(o.TFTPServer)
	file := strings.TrimSpace(o.Bootfile)
	if strings.Contains(file, "://") {
		return file
	}
	if base == "" {
		return ""
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if strings.HasPrefix(base, "tftp://") {
		return "" // sipbell fetches over HTTP(S) only
	}
	return withFile(base, file)
}

func withFile(base, file string) string {
	if file == "" {
		if !strings.HasSuffix(base, "/") {
			if strings.Count(base, "/") > 2 { // has a path: a file URL
				return base
			}
			base += "/"
		}
		return base + "{mac}.yaml"
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(file, "/")
}

// URLFromDHCP returns the provisioning URL template from the first lease
// file (in order) that has one, or "".
func URLFromDHCP(files []string) string {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if u := ParseLease(data).URL(); u != "" {
			return u
		}
	}
	return ""
}

// ParseLease reads a dhclient lease file (text, the last lease counts)
// or a dhcpcd lease file (the raw DHCP message).
func ParseLease(data []byte) LeaseOptions {
	if isDHCPMessage(data) {
		return parseDHCPMessage(data)
	}
	return parseDhclient(string(data))
}

// dhcpMagic is the cookie that starts the options of a DHCP message.
var dhcpMagic = []byte{99, 130, 83, 99}

const bootpHeaderLen = 236

func isDHCPMessage(b []byte) bool {
	return len(b) >= bootpHeaderLen+4 && bytes.Equal(b[bootpHeaderLen:bootpHeaderLen+4], dhcpMagic)
}

func parseDHCPMessage(b []byte) LeaseOptions {
	o := LeaseOptions{
		TFTPServer: cString(b[44:108]),
		Bootfile:   cString(b[108:236]),
	}
	opts := b[bootpHeaderLen+4:]
	for i := 0; i < len(opts); {
		code := opts[i]
		if code == 255 {
			break
		}
		if code == 0 {
			i++
			continue
		}
		if i+1 >= len(opts) || i+2+int(opts[i+1]) > len(opts) {
			break // truncated: keep what was read
		}
		val := cString(opts[i+2 : i+2+int(opts[i+1])])
		switch int(code) {
		case dhcpOptProvURL:
			o.ProvURL = val
		case dhcpOptTFTPServer:
			o.TFTPServer = val
		case dhcpOptBootfile:
			o.Bootfile = val
		case dhcpOptVendor:
			o.Vendor = val
		}
		i += 2 + int(opts[i+1])
	}
	return o
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

var (
	dhclientOption = regexp.MustCompile(`^option\s+([\w-]+)\s+(.*);$`)
	dhclientFile   = regexp.MustCompile(`^(filename|server-name)\s+(.*);$`)
)

// parseDhclient reads the last "lease { ... }" block of a dhclient file.
// Option 160 appears as "unknown-160" or a name the admin declared
// (anything containing "160" or "provisioning"); values are quoted
// strings or colon-separated hex.
func parseDhclient(s string) LeaseOptions {
	var o, cur LeaseOptions
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "lease"):
			cur = LeaseOptions{}
		case line == "}":
			o = cur
		case dhclientFile.MatchString(line):
			m := dhclientFile.FindStringSubmatch(line)
			if m[1] == "filename" && cur.Bootfile == "" {
				cur.Bootfile = dhclientValue(m[2])
			} else if m[1] == "server-name" && cur.TFTPServer == "" {
				cur.TFTPServer = dhclientValue(m[2])
			}
		case dhclientOption.MatchString(line):
			m := dhclientOption.FindStringSubmatch(line)
			name, val := m[1], dhclientValue(m[2])
			switch {
			case name == "tftp-server-name":
				cur.TFTPServer = val
			case name == "bootfile-name":
				cur.Bootfile = val
			case strings.Contains(name, "160") || strings.Contains(name, "provisioning"):
				cur.ProvURL = val
			}
		}
	}
	return o
}

// dhclientValue decodes a quoted string (with \ escapes) or a
// colon-separated hex byte string.
func dhclientValue(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, `"`) {
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
		return strings.Trim(v, `"`)
	}
	var b []byte
	for _, part := range strings.Split(v, ":") {
		if len(part) == 1 { // dhclient writes 0x0a as "a"
			part = "0" + part
		}
		x, err := hex.DecodeString(part)
		if err != nil || len(x) != 1 {
			return v
		}
		b = append(b, x[0])
	}
	return cString(b)
}
