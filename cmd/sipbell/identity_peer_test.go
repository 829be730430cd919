package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// sipCaller is a hand-made SIP phone for the identity tests: it sends
// INVITEs with whatever From (and headers) a test writes, from a
// loopback address of its choice, answers a digest challenge when given
// credentials, and sends SIP INFO DTMF in the dialog.
type sipCaller struct {
	ip   string
	port int
	dua  *sipgo.DialogUA
}

func newSIPCaller(t *testing.T, ip string) *sipCaller {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("identity-test"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	c := &sipCaller{ip: ip, port: pc.LocalAddr().(*net.UDPAddr).Port}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go func() { _ = srv.ServeUDP(pc) }()
	laddr := pc.LocalAddr().String()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(ip), sipgo.WithClientNAT(),
		sipgo.WithClientConnectionAddr(laddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); ua.Close() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if conn, err := ua.TransportLayer().GetConnection("udp", laddr); err == nil && conn != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sipgo did not pick up %s", laddr)
		}
	}
	c.dua = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: "caller", Host: ip, Port: c.port}}}
	return c
}

// invite calls target through dest (host:port) with From from, answering
// a challenge as user/password when user is set, and returns the
// established dialog (nil unless answered) and the final status code.
func (c *sipCaller) invite(ctx context.Context, t *testing.T, target, from sip.Uri, dest, user, password string, hdrs ...sip.Header) (*sipgo.DialogClientSession, int) {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, target)
	fh := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 %[1]s\r\ns=-\r\nc=IN IP4 %[1]s\r\nt=0 0\r\n"+
		"m=audio %[2]d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-15\r\na=sendrecv\r\n", c.ip, c.port+2)))
	req.SetDestination(dest)
	dlg, err := c.dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("INVITE from %s: %v", from.String(), err)
	}
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password})
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		dlg.Close()
		return nil, de.Res.StatusCode
	}
	if err != nil {
		t.Fatalf("INVITE from %s: %v", from.String(), err)
	}
	if err := dlg.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	t.Cleanup(func() {
		bctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = dlg.Bye(bctx)
		dlg.Close()
	})
	return dlg, 200
}

// info sends one SIP INFO DTMF digit in the dialog and returns the status.
func infoDigit(ctx context.Context, t *testing.T, dlg *sipgo.DialogClientSession, digit string) int {
	t.Helper()
	var target sip.Uri
	if ct := dlg.InviteResponse.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(sip.INFO, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + digit + "\r\nDuration=160\r\n"))
	res, err := dlg.Do(ctx, req)
	if err != nil {
		t.Fatalf("INFO %s: %v", digit, err)
	}
	return res.StatusCode
}
