package media

import (
	"encoding/binary"
	"hash/crc32"
	"net"
	"net/netip"
)

// STUN on the media ports (RFC 5389, demultiplexed by RFC 7983).
//
// Softphones send STUN Binding requests to the RTP (and RTCP) port of a
// call: ICE connectivity checks and consent freshness (RFC 7675) from
// agents that offered ICE, and keep-alives (RFC 6263) from others. They
// are neither RTP nor RTCP: a packet whose first byte is 0..3 is STUN.
// A Binding request from the call's peer (its host, as for RTCP) is
// answered with a Binding success response carrying XOR-MAPPED-ADDRESS
// and FINGERPRINT; a Binding indication (a keep-alive) needs no answer.
// Neither is counted as rejected. Our SDP offers no ICE credentials
// (a=ice-ufrag/ice-pwd), so there is no MESSAGE-INTEGRITY to check or
// add: an agent that wants ICE falls back to plain RTP with us. STUN from
// anyone else, or malformed, is dropped and counted as rejected.

// STUN message types and attributes used here (RFC 5389 §6, §15).
const (
	stunHeaderLen       = 20
	stunMagicCookie     = 0x2112A442
	stunBindingRequest  = 0x0001
	stunBindingIndicate = 0x0011
	stunBindingSuccess  = 0x0101
	stunAttrXORMapped   = 0x0020
	stunAttrFingerprint = 0x8028
	stunFingerprintXOR  = 0x5354554e
	stunFamilyIPv4      = 0x01
	stunFamilyIPv6      = 0x02
)

// isSTUN reports whether pkt is STUN by RFC 7983's first-byte rule
// (0..3); RTP and RTCP start at 128..191.
func isSTUN(pkt []byte) bool { return len(pkt) > 0 && pkt[0] < 4 }

// stunMessage is a checked STUN message: its type and transaction ID.
type stunMessage struct {
	typ  uint16
	txID [12]byte
}

// parseSTUN checks pkt's header (type's top bits, length, magic cookie)
// and its attributes' framing, and verifies a FINGERPRINT if present; it
// reports false for anything malformed.
func parseSTUN(pkt []byte) (stunMessage, bool) {
	var m stunMessage
	if len(pkt) < stunHeaderLen || pkt[0]&0xc0 != 0 {
		return m, false
	}
	n := int(binary.BigEndian.Uint16(pkt[2:4]))
	if n%4 != 0 || stunHeaderLen+n != len(pkt) || binary.BigEndian.Uint32(pkt[4:8]) != stunMagicCookie {
		return m, false
	}
	m.typ = binary.BigEndian.Uint16(pkt[0:2])
	copy(m.txID[:], pkt[8:20])
	for off := stunHeaderLen; off < len(pkt); {
		if len(pkt)-off < 4 {
			return m, false
		}
		typ := binary.BigEndian.Uint16(pkt[off : off+2])
		alen := int(binary.BigEndian.Uint16(pkt[off+2 : off+4]))
		end := off + 4 + (alen+3)&^3 // values are padded to 4 bytes
		if end > len(pkt) {
			return m, false
		}
		if typ == stunAttrFingerprint { // the last attribute, over all before it
			if alen != 4 || end != len(pkt) ||
				binary.BigEndian.Uint32(pkt[off+4:off+8]) != crc32.ChecksumIEEE(pkt[:off])^stunFingerprintXOR {
				return m, false
			}
		}
		off = end
	}
	return m, true
}

// stunSuccess returns the Binding success response to a request with
// txID from src: XOR-MAPPED-ADDRESS (src) and FINGERPRINT.
func stunSuccess(txID [12]byte, src netip.AddrPort) []byte {
	ip := src.Addr().Unmap()
	alen := 8
	if ip.Is6() {
		alen = 20
	}
	b := make([]byte, stunHeaderLen, stunHeaderLen+4+alen+8)
	binary.BigEndian.PutUint16(b[0:2], stunBindingSuccess)
	binary.BigEndian.PutUint32(b[4:8], stunMagicCookie)
	copy(b[8:20], txID[:])
	var xorKey [16]byte // the cookie, then the transaction ID (RFC 5389 §15.2)
	binary.BigEndian.PutUint32(xorKey[0:4], stunMagicCookie)
	copy(xorKey[4:], txID[:])
	b = binary.BigEndian.AppendUint16(b, stunAttrXORMapped)
	b = binary.BigEndian.AppendUint16(b, uint16(alen))
	family := byte(stunFamilyIPv4)
	if ip.Is6() {
		family = stunFamilyIPv6
	}
	b = append(b, 0, family)
	b = binary.BigEndian.AppendUint16(b, src.Port()^uint16(stunMagicCookie>>16))
	addr := ip.AsSlice()
	for i := range addr {
		b = append(b, addr[i]^xorKey[i])
	}
	// FINGERPRINT: the length field already counts it when the CRC is taken.
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-stunHeaderLen+8))
	crc := crc32.ChecksumIEEE(b) ^ stunFingerprintXOR
	b = binary.BigEndian.AppendUint16(b, stunAttrFingerprint)
	b = binary.BigEndian.AppendUint16(b, 4)
	return binary.BigEndian.AppendUint32(b, crc)
}

// stunPacket handles pkt from src on conn when it is STUN, or DTLS
// (RFC 7983: handed to the DTLS-SRTP handshake, dtls_session.go),
// reporting true; the read loops call it before parsing RTP or RTCP.
func (s *Session) stunPacket(pkt []byte, src netip.AddrPort, conn *net.UDPConn) bool {
	if !isSTUN(pkt) {
		return s.dtlsPacket(pkt, src, conn == s.rtcp)
	}
	s.mu.Lock()
	s.handleSTUN(pkt, src, conn)
	s.mu.Unlock()
	return true
}

// handleSTUN answers or drops one STUN packet that arrived on conn (the
// RTP or RTCP socket) from src. Called with s.mu held.
func (s *Session) handleSTUN(pkt []byte, src netip.AddrPort, conn *net.UDPConn) {
	m, ok := parseSTUN(pkt)
	switch {
	case !ok:
		s.reject("malformed STUN", src)
		return
	case !s.started || !s.peer.rtpAddr.IsValid() || src.Addr() != s.peer.rtpAddr.Addr():
		s.reject("STUN from a stranger", src)
		return
	case m.typ == stunBindingIndicate: // a keep-alive: nothing to answer
		s.peer.stun++
		return
	case m.typ != stunBindingRequest:
		s.reject("STUN other than a binding request or indication", src, "type", m.typ)
		return
	}
	s.peer.stun++
	_, _ = conn.WriteToUDPAddrPort(stunSuccess(m.txID, src), src) // best effort, as RTP
}
