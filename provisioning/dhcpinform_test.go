package provisioning

import (
	"net"
	"net/netip"
	"testing"
)

// TestInformMessage: the DHCPINFORM carries the device's address in
// ciaddr, its MAC, message type 8 and asks for 66, 67, 160 and 43; an
// answer counts only as a DHCPACK with the same transaction ID, and its
// options give the provisioning URL (160, then a URL in 43, then 66/67).
func TestInformMessage(t *testing.T) {
	t.Parallel()
	xid := [4]byte{1, 2, 3, 4}
	mac := net.HardwareAddr{0xb8, 0x27, 0xeb, 1, 2, 3}
	m := informMessage(xid, netip.MustParseAddr("10.77.0.2"), mac)
	if !isDHCPMessage(m) || m[0] != 1 || net.IP(m[12:16]).String() != "10.77.0.2" || net.HardwareAddr(m[28:34]).String() != mac.String() {
		t.Fatalf("not a DHCPINFORM from 10.77.0.2 %s: % x", mac, m)
	}
	opts := string(m[bootpHeaderLen+4:])
	if want := string([]byte{53, 1, 8, 55, 4, 66, 67, 160, 43, 255}); opts != want {
		t.Errorf("options % x, want % x", opts, want)
	}
	ack := func(typ byte, id [4]byte, opts ...byte) []byte {
		b := make([]byte, bootpHeaderLen)
		b[0] = 2
		copy(b[4:8], id[:])
		b = append(b, dhcpMagic...)
		b = append(b, 53, 1, typ)
		return append(append(b, opts...), 255)
	}
	opt := func(code byte, s string) []byte { return append([]byte{code, byte(len(s))}, s...) }
	for _, tc := range []struct {
		name string
		msg  []byte
		ok   bool
		url  string
	}{
		{"160", ack(5, xid, opt(160, "http://p/x.yaml")...), true, "http://p/x.yaml"},
		{"66+67", ack(5, xid, append(opt(66, "prov.example"), opt(67, "cfg/{mac}.yaml")...)...), true, "http://prov.example/cfg/{mac}.yaml"},
		{"43 URL", ack(5, xid, opt(43, "https://p/d.yaml")...), true, "https://p/d.yaml"},
		{"43 binary", ack(5, xid, opt(43, "\x01\x04abcd")...), true, ""},
		{"NAK", ack(6, xid, opt(160, "http://p/x.yaml")...), false, ""},
		{"other xid", ack(5, [4]byte{9}, opt(160, "http://p/x.yaml")...), false, ""},
		{"short", []byte{2, 1, 6}, false, ""},
	} {
		if got := isInformAck(tc.msg, xid); got != tc.ok {
			t.Errorf("%s: isInformAck %v, want %v", tc.name, got, tc.ok)
		}
		if tc.ok {
			if u := ParseLease(tc.msg).URL(); u != tc.url {
				t.Errorf("%s: URL %q, want %q", tc.name, u, tc.url)
			}
		}
	}
}
