package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"net"
	"net/netip"
	"testing"
)

// stunRequest builds a Binding request (or another type) with txID,
// optionally ending in a FINGERPRINT, as a softphone's ICE agent sends.
func stunRequest(typ uint16, txID [12]byte, fingerprint bool) []byte {
	b := make([]byte, stunHeaderLen)
	binary.BigEndian.PutUint16(b[0:2], typ)
	binary.BigEndian.PutUint32(b[4:8], stunMagicCookie)
	copy(b[8:], txID[:])
	// PRIORITY (0x0024), as ICE checks carry: an attribute to skip.
	b = append(b, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff)
	if fingerprint {
		binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-stunHeaderLen+8))
		crc := crc32.ChecksumIEEE(b) ^ stunFingerprintXOR
		b = append(b, 0x80, 0x28, 0x00, 0x04)
		b = binary.BigEndian.AppendUint32(b, crc)
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-stunHeaderLen))
	return b
}

// xorMapped returns the XOR-MAPPED-ADDRESS attribute's bytes in msg.
func xorMapped(t *testing.T, msg []byte) []byte {
	t.Helper()
	for off := stunHeaderLen; off+4 <= len(msg); {
		typ := binary.BigEndian.Uint16(msg[off:])
		n := int(binary.BigEndian.Uint16(msg[off+2:]))
		if typ == stunAttrXORMapped {
			return msg[off : off+4+n]
		}
		off += 4 + (n+3)&^3
	}
	t.Fatalf("no XOR-MAPPED-ADDRESS in % x", msg)
	return nil
}

// TestSTUNSuccessVectors: the XOR-MAPPED-ADDRESS of our responses is
// byte for byte the one of RFC 5769's sample responses (§2.2, §2.3), and
// the response parses, FINGERPRINT included.
func TestSTUNSuccessVectors(t *testing.T) {
	t.Parallel()
	var tx [12]byte
	copy(tx[:], []byte{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae})
	for _, tc := range []struct{ src, attr string }{
		{"192.0.2.1:32853", "0020000800 01a147e112a643"},
		{"[2001:db8:1234:5678:11:2233:4455:6677]:32853", "0020001400 02a1470113a9faa5d3f179bc25f4b5bed2b9d9"},
	} {
		src := netip.MustParseAddrPort(tc.src)
		res := stunSuccess(tx, src)
		m, ok := parseSTUN(res)
		if !ok || m.typ != stunBindingSuccess || m.txID != tx {
			t.Fatalf("%s: response does not parse as a binding success for the transaction: % x", tc.src, res)
		}
		want, _ := hex.DecodeString(string(bytes.ReplaceAll([]byte(tc.attr), []byte(" "), nil)))
		if got := xorMapped(t, res); !bytes.Equal(got, want) {
			t.Errorf("%s: XOR-MAPPED-ADDRESS % x, want % x", tc.src, got, want)
		}
	}
}

// TestParseSTUN: what the demultiplexer takes for a binding request and
// what it refuses.
func TestParseSTUN(t *testing.T) {
	t.Parallel()
	tx := [12]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	good := stunRequest(stunBindingRequest, tx, true)
	badFP := append([]byte(nil), good...)
	badFP[len(badFP)-1] ^= 1
	badCookie := append([]byte(nil), good...)
	badCookie[4] = 0
	for _, tc := range []struct {
		name string
		pkt  []byte
		ok   bool
	}{
		{"request with fingerprint", good, true},
		{"request without fingerprint", stunRequest(stunBindingRequest, tx, false), true},
		{"indication", stunRequest(stunBindingIndicate, tx, false), true},
		{"bad fingerprint", badFP, false},
		{"bad cookie", badCookie, false},
		{"truncated", good[:len(good)-2], false},
		{"header only, length says more", good[:stunHeaderLen], false},
		{"short", []byte{0, 1, 0}, false},
		{"attribute past the end", append(stunRequest(stunBindingRequest, tx, false)[:stunHeaderLen:stunHeaderLen],
			0x00, 0x24, 0x00, 0x40), false},
	} {
		if _, ok := parseSTUN(tc.pkt); ok != tc.ok {
			t.Errorf("%s: parsed %v, want %v", tc.name, ok, tc.ok)
		}
	}
}

// TestSTUNOnLiveCall: a binding request from the call's peer to the RTP
// port, and one to the RTCP port, get binding success responses naming
// the source they came from, and are counted as STUN, not rejected; a
// binding indication (keep-alive) is counted and not answered; a request
// from another host gets nothing and is rejected.
func TestSTUNOnLiveCall(t *testing.T) {
	t.Parallel()
	peer := newRawPeer(t)
	s := listen(t, testConfig(), Options{})
	if err := s.Start(context.Background(), pcmuNeg(peer.addr)); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 160)
	peer.send(t, s.LocalAddr(), rtpPacket(t, 0, 1, 0, 7, true, payload))
	waitFor(t, "first RTP packet", func() bool { return s.Stats().Received == 1 })
	rtcpPort := netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1)
	for i, dst := range []netip.AddrPort{s.LocalAddr(), rtcpPort} {
		tx := [12]byte{byte(i), 0xaa}
		peer.send(t, dst, stunRequest(stunBindingRequest, tx, true))
		res := awaitSTUN(t, peer)
		m, ok := parseSTUN(res)
		if !ok || m.typ != stunBindingSuccess || m.txID != tx {
			t.Fatalf("answer to a binding request on %v: % x", dst, res)
		}
		if got, want := xorMapped(t, res), xorMapped(t, stunSuccess(tx, peer.addr)); !bytes.Equal(got, want) {
			t.Errorf("mapped address % x, want the peer's source % x", got, want)
		}
	}
	peer.send(t, s.LocalAddr(), stunRequest(stunBindingIndicate, [12]byte{9}, false))
	waitFor(t, "three STUN packets counted", func() bool { return s.Stats().STUN == 3 })
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if _, err := stranger.WriteToUDPAddrPort(stunRequest(stunBindingRequest, [12]byte{7}, true), s.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stranger's request rejected", func() bool { return s.Stats().Rejected == 1 })
	if st := s.Stats(); st.STUN != 3 || st.Received != 1 {
		t.Errorf("stats %+v, want 3 STUN, 1 RTP, 1 rejected", st)
	}
}

// awaitSTUN reads the peer's socket until a STUN message arrives (RTP
// and RTCP from the session are skipped).
func awaitSTUN(t *testing.T, p *rawPeer) []byte {
	t.Helper()
	for {
		if b := p.read(t); isSTUN(b) {
			return b
		}
	}
}

// BenchmarkSTUNAnswer: parsing a binding request and building the
// success response, as the receive loop does for each ICE check.
func BenchmarkSTUNAnswer(b *testing.B) {
	req := stunRequest(stunBindingRequest, [12]byte{1, 2, 3}, true)
	src := netip.MustParseAddrPort("192.0.2.1:40000")
	b.ReportAllocs()
	for b.Loop() {
		m, ok := parseSTUN(req)
		if !ok {
			b.Fatal("request does not parse")
		}
		_ = stunSuccess(m.txID, src)
	}
}
