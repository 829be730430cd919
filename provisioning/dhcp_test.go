package provisioning

import (
	"os"
	"path/filepath"
	"testing"
)

const dhclientLeases = `lease {
  interface "eth0";
  fixed-address 192.168.1.50;
  option tftp-server-name "old.example";
  renew 2 2026/12/01 00:00:00;
}
lease {
  interface "eth0";
  fixed-address 192.168.1.50;
  option subnet-mask 255.255.255.0;
  option tftp-server-name "http://prov.example/sipbell";
  option bootfile-name "{mac}.yaml";
  option unknown-160 "https://p.example/cfg/";
}
`

// dhcpcdLease builds a DHCP message as dhcpcd stores it, with options.
func dhcpcdLease(sname, file string, opts ...[]byte) []byte {
	b := make([]byte, bootpHeaderLen)
	copy(b[44:], sname)
	copy(b[108:], file)
	b = append(b, dhcpMagic...)
	b = append(b, 53, 1, 5) // message type ACK
	for _, o := range opts {
		b = append(b, o...)
	}
	return append(b, 255)
}

func opt(code byte, v string) []byte { return append([]byte{code, byte(len(v))}, v...) }

func TestParseLease(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"dhclient: 160 first, last lease", []byte(dhclientLeases), "https://p.example/cfg/{mac}.yaml"},
		{"dhclient: 66+67", []byte("lease {\n  option tftp-server-name \"http://prov.example/sb\";\n  option bootfile-name \"{mac}.yaml\";\n}\n"), "http://prov.example/sb/{mac}.yaml"},
		{"dhclient: 66 bare host", []byte("lease {\n  option tftp-server-name \"10.0.0.2\";\n}\n"), "http://10.0.0.2/{mac}.yaml"},
		{"dhclient: 160 as hex", []byte("lease {\n  option unknown-160 68:74:74:70:3a:2f:2f:68:2f:61:2e:79:61:6d:6c;\n}\n"), "http://h/a.yaml"},
		{"dhclient: tftp only", []byte("lease {\n  option tftp-server-name \"tftp://10.0.0.2\";\n}\n"), ""},
		{"dhclient: nothing", []byte("lease {\n  fixed-address 1.2.3.4;\n}\n"), ""},
		{"dhcpcd: 160", dhcpcdLease("", "", opt(66, "ignored"), opt(160, "http://p/x.yaml")), "http://p/x.yaml"},
		{"dhcpcd: 66/67 options", dhcpcdLease("", "", opt(66, "http://p"), opt(67, "dev/{MAC}.yaml")), "http://p/dev/{MAC}.yaml"},
		{"dhcpcd: sname/file fields", dhcpcdLease("10.1.1.1", "c.yaml"), "http://10.1.1.1/c.yaml"},
		{"dhcpcd: truncated option", append(dhcpcdLease("", "")[:bootpHeaderLen+7], 160, 50, 'h'), ""},
		{"garbage", []byte{0, 1, 2, 255}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseLease(tc.data).URL(); got != tc.want {
				t.Errorf("URL() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestURLFromDHCPFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(b, []byte(dhclientLeases), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := URLFromDHCP([]string{a, b}); got != "https://p.example/cfg/{mac}.yaml" {
		t.Fatalf("got %q", got)
	}
}
