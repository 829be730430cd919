package interop

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
)

// Ping sends one OPTIONS to addr over transport ("udp", "tcp" or "tls";
// tlsConf is used for "tls") and returns the status line of the answer.
func Ping(ctx context.Context, transport, addr string, tlsConf *tls.Config) (string, error) {
	var d net.Dialer
	var conn net.Conn
	var err error
	switch transport {
	case "udp", "tcp":
		conn, err = d.DialContext(ctx, transport, addr)
	case "tls":
		td := tls.Dialer{NetDialer: &d, Config: tlsConf}
		conn, err = td.DialContext(ctx, "tcp", addr)
	default:
		return "", fmt.Errorf("ping %s: unknown transport %q", addr, transport)
	}
	if err != nil {
		return "", fmt.Errorf("ping %s/%s: %w", transport, addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	id := rand.Uint64()
	msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-ping%x;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1>;tag=p%x\r\nTo: <sip:%s>\r\n"+
		"Call-ID: ping-%x@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		addr, strings.ToUpper(transport), conn.LocalAddr(), id, id, addr, id)
	if _, err := conn.Write([]byte(msg)); err != nil {
		return "", fmt.Errorf("ping %s/%s: %w", transport, addr, err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("ping %s/%s: %w", transport, addr, err)
	}
	if !strings.HasPrefix(line, "SIP/2.0 ") {
		return "", fmt.Errorf("ping %s/%s: not a SIP answer: %q", transport, addr, line)
	}
	return strings.TrimSpace(line), nil
}
