package interop

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"time"
)

// callIDLine finds a Call-ID header (long or compact form) in sipp's trace.
var callIDLine = regexp.MustCompile(`(?im)^(?:Call-ID|i): *(\S+)`)

// Release sends s an INFO over UDP on the Call-ID of the first message in
// its trace, once there is one: the cue for a scenario that holds its call
// at <recv request="INFO"/> (a transfer target kept ringing until the test
// has seen what happens meanwhile). sipp's answer, if any, goes to the
// call's peer, not here.
func (s *Sipp) Release(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var id string
	for id == "" {
		if m := callIDLine.FindStringSubmatch(s.Messages()); m != nil {
			id = m[1]
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("release sipp %s: no call yet: %w", s.Addr, ctx.Err())
		case <-tick.C:
		}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", s.Addr)
	if err != nil {
		return fmt.Errorf("release sipp %s: %w", s.Addr, err)
	}
	defer c.Close()
	info := fmt.Sprintf("INFO sip:release@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-release\r\n"+
		"From: <sip:test@127.0.0.1>;tag=release\r\nTo: <sip:release@%s>\r\nCall-ID: %s\r\nCSeq: 1 INFO\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.Addr, c.LocalAddr(), s.Addr, id)
	if _, err := c.Write([]byte(info)); err != nil {
		return fmt.Errorf("release sipp %s: %w", s.Addr, err)
	}
	return nil
}
