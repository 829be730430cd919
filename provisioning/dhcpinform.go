package provisioning

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// DHCPInformFile, in the state dir, holds the DHCP server's answer to the
// device's last DHCPINFORM: the raw DHCPACK, which ParseLease reads like a
// dhcpcd lease.
const DHCPInformFile = "dhcp-inform.lease"

// ErrDHCPInform wraps a DHCPINFORM that got no usable answer.
var ErrDHCPInform = errors.New("dhcp inform")

// dhcpOptVendor is option 43, vendor-specific information: read when it
// is a URL as text (some servers are set up that way).
const dhcpOptVendor = 43

// DHCPInform asks the DHCP servers on the network of ifname for the
// provisioning options (66, 67, 160, 43) with a DHCPINFORM (RFC 2131
// §3.4): the device keeps the address its own DHCP client (NetworkManager,
// systemd-networkd, dhcpcd, gokrazy's) got, whichever that is and
// whether or not it keeps these options, and asks the server again. It
// broadcasts on that interface from its IPv4 address, port 68 (root or
// CAP_NET_BIND_SERVICE), and returns the first DHCPACK to it, raw.
func DHCPInform(ctx context.Context, ifname string) ([]byte, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDHCPInform, ifname, err)
	}
	ip, err := ifaceIPv4(ifi)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
			if serr == nil {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
			}
			if serr == nil { // out of (and answered on) this interface, whatever the routes say
				serr = syscall.BindToDevice(int(fd), ifname)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", netip.AddrPortFrom(ip, 68).String())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: listen on port 68: %v", ErrDHCPInform, ifname, err)
	}
	defer pc.Close()
	var xid [4]byte
	rand.Read(xid[:])
	msg := informMessage(xid, ip, ifi.HardwareAddr)
	if d, ok := ctx.Deadline(); ok {
		pc.SetDeadline(d)
	} else {
		pc.SetDeadline(time.Now().Add(5 * time.Second))
	}
	if _, err := pc.WriteTo(msg, &net.UDPAddr{IP: net.IPv4bcast, Port: 67}); err != nil {
		return nil, fmt.Errorf("%w: %s: send: %v", ErrDHCPInform, ifname, err)
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: no DHCPACK: %v", ErrDHCPInform, ifname, err)
		}
		if isInformAck(buf[:n], xid) {
			return bytes.Clone(buf[:n]), nil
		}
	}
}

// ifaceIPv4 is the first IPv4 address of ifi.
func ifaceIPv4(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: %s: %v", ErrDHCPInform, ifi.Name, err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			return p.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%w: %s has no IPv4 address", ErrDHCPInform, ifi.Name)
}

// informMessage is a DHCPINFORM from ip (ciaddr) and mac asking for the
// provisioning options.
func informMessage(xid [4]byte, ip netip.Addr, mac net.HardwareAddr) []byte {
	m := make([]byte, bootpHeaderLen, bootpHeaderLen+32)
	m[0], m[1], m[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, 6-byte address
	copy(m[4:8], xid[:])
	a := ip.As4()
	copy(m[12:16], a[:]) // ciaddr
	copy(m[28:44], mac)  // chaddr
	m = append(m, dhcpMagic...)
	m = append(m, 53, 1, 8) // DHCPINFORM
	m = append(m, 55, 4, dhcpOptTFTPServer, dhcpOptBootfile, dhcpOptProvURL, dhcpOptVendor)
	return append(m, 255)
}

// isInformAck reports whether b is a DHCPACK (BOOTREPLY) to xid.
func isInformAck(b []byte, xid [4]byte) bool {
	if !isDHCPMessage(b) || b[0] != 2 || !bytes.Equal(b[4:8], xid[:]) {
		return false
	}
	opts := b[bootpHeaderLen+4:]
	for i := 0; i+1 < len(opts) && opts[i] != 255; {
		if opts[i] == 0 {
			i++
			continue
		}
		if opts[i] == 53 && opts[i+1] == 1 && i+2 < len(opts) {
			return opts[i+2] == 5
		}
		i += 2 + int(opts[i+1])
	}
	return false
}

// DHCPInformInterval is how often the DHCPINFORM is repeated (the
// options may change with the server's configuration).
const DHCPInformInterval = time.Hour
