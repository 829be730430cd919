package sipdns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// maxStrays bounds the datagrams read on one UDP socket that answer
// another query before the query is given up.
const maxStrays = 8

// exchange asks server for name and qtype: over UDP, and again over TCP
// when the answer is truncated. It is bounded by the resolver's timeout.
func (r *Resolver) exchange(ctx context.Context, server, name string, qtype dnsmessage.Type) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	id := uint16(rand.Uint32())
	q, err := buildQuery(id, name, qtype)
	if err != nil {
		return answer{}, err
	}
	a, err := r.exchangeUDP(ctx, server, q, id, name, qtype)
	if errors.Is(err, errTruncated) {
		a, err = r.exchangeTCP(ctx, server, q, id, name, qtype)
	}
	return a, err
}

func (r *Resolver) exchangeUDP(ctx context.Context, server string, q []byte, id uint16, name string, qtype dnsmessage.Type) (answer, error) {
	c, err := dial(ctx, "udp", server)
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	if _, err := c.Write(q); err != nil {
		return answer{}, fmt.Errorf("sipdns: send %s %s to %s: %w", typeName(qtype), name, server, err)
	}
	buf := make([]byte, maxUDPSize)
	for i := 0; i < maxStrays; i++ {
		n, err := c.Read(buf)
		if err != nil {
			return answer{}, noAnswer(ctx, server, name, qtype, err)
		}
		a, err := parseAnswer(buf[:n], id, name, qtype)
		if !errors.Is(err, errMismatch) {
			return a, err
		}
	}
	return answer{}, fmt.Errorf("sipdns: %s %s from %s: %w (only answers to other queries)", typeName(qtype), name, server, ErrNoAnswer)
}

func (r *Resolver) exchangeTCP(ctx context.Context, server string, q []byte, id uint16, name string, qtype dnsmessage.Type) (answer, error) {
	c, err := dial(ctx, "tcp", server)
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	msg := binary.BigEndian.AppendUint16(make([]byte, 0, len(q)+2), uint16(len(q)))
	if _, err := c.Write(append(msg, q...)); err != nil {
		return answer{}, fmt.Errorf("sipdns: send %s %s to %s over TCP: %w", typeName(qtype), name, server, err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return answer{}, noAnswer(ctx, server, name, qtype, err)
	}
	buf := make([]byte, binary.BigEndian.Uint16(l[:])) // at most 64 KiB
	if _, err := io.ReadFull(c, buf); err != nil {
		return answer{}, noAnswer(ctx, server, name, qtype, err)
	}
	a, err := parseAnswer(buf, id, name, qtype)
	if errors.Is(err, errMismatch) || errors.Is(err, errTruncated) {
		return answer{}, fmt.Errorf("sipdns: %s %s from %s over TCP: %w: %v", typeName(qtype), name, server, ErrMalformed, err)
	}
	return a, err
}

// dial connects to server; the connection's deadline follows ctx.
func dial(ctx context.Context, network, server string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, fmt.Errorf("sipdns: dial %s %s: %w: %v", network, server, ErrNoAnswer, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return &ctxConn{Conn: c, stop: stop}, nil
}

// ctxConn stops the context hook when closed.
type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func noAnswer(ctx context.Context, server, name string, qtype dnsmessage.Type, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("sipdns: %s %s from %s: %w: %v", typeName(qtype), name, server, ErrNoAnswer, err)
}
