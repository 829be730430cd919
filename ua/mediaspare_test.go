package ua

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"testing"

	"github.com/sipbell/sipbell/ua/media"
)

// managerMedia runs calls' RTP on a media.Manager, as cmd/sipbell's
// adapter does, spares included (SpareMedia comes with the Manager).
type managerMedia struct{ *media.Manager }

func (m managerMedia) Open(ctx context.Context, ip netip.Addr, c MediaCall) (netip.AddrPort, error) {
	return m.Manager.Open(ctx, ip, c.ID, media.CallHooks{OnDTMF: c.OnDTMF, OnTimeout: c.OnTimeout})
}

// bindingMedia is managerMedia without spares: every call binds its own
// sockets (BenchmarkAnswerPath's before).
type bindingMedia struct{ m managerMedia }

func (b bindingMedia) Open(ctx context.Context, ip netip.Addr, c MediaCall) (netip.AddrPort, error) {
	return b.m.Open(ctx, ip, c)
}
func (b bindingMedia) Start(id string, n media.Negotiated) error { return b.m.Start(id, n) }
func (b bindingMedia) SendDTMF(id string, d byte) error          { return b.m.SendDTMF(id, d) }
func (b bindingMedia) Close(id string)                           { b.m.Close(id) }

var sdpAudioPort = regexp.MustCompile(`m=audio (\d+) `)

// TestIncomingCallTakesSpare: the user agent has the next call's RTP
// sockets bound before the INVITE comes (issue 16: binding them was a
// third of the work before the 200). The answer's SDP carries the spare's
// port, the next spare is bound once the answer is out (and acknowledged), and none is left
// bound when the user agent stops.
func TestIncomingCallTakesSpare(t *testing.T) {
	t.Parallel()
	mm := managerMedia{media.NewManager(media.DefaultConfig(), nil, nil)}
	h := start(t, testConfig(), nil, WithMedia(mm))
	<-h.ready
	spare := mm.SparePort()
	if spare == 0 {
		t.Fatal("no RTP sockets bound ahead of the first call")
	}
	addr := h.Addr().String()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 65536)
	id := fmt.Sprintf("spare-%p", t)
	ok := benchExchange(t, conn, buf, request("INVITE", addr, conn.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP), "SIP/2.0 200")
	m := sdpAudioPort.FindStringSubmatch(ok)
	if m == nil {
		t.Fatalf("no m=audio in the 200:\n%s", ok)
	}
	if port, _ := strconv.Atoi(m[1]); port != int(spare) {
		t.Errorf("the answer names RTP port %d, want the spare's %d", port, spare)
	}
	to := headerValue(ok, "To")
	fmt.Fprint(conn, benchACK(addr, conn.LocalAddr(), id, to))
	waitFor(t, "the next spare", func() bool { p := mm.SparePort(); return p != 0 && p != spare })
	next := mm.SparePort()
	benchExchange(t, conn, buf, benchBYE(addr, conn.LocalAddr(), id, to), "SIP/2.0 200")
	h.stop()
	if p := mm.SparePort(); p != 0 {
		t.Errorf("spare %d still held after Run returned", p)
	}
	for _, p := range []uint16{next, next + 1} {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p)})
		if err != nil {
			t.Errorf("the spare's port %d is still bound after Run returned: %v", p, err)
			continue
		}
		c.Close()
	}
}
