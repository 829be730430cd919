package ua

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestFramedConn: the stream is cut into whole messages whatever the
// reads bring (split, joined, keep-alives between), each checked once;
// a stream that cannot be cut any more is answered and ended.
func TestFramedConn(t *testing.T) {
	const opt = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
	msg := opt + "Content-Length: 4\r\n\r\nbody"
	for _, tc := range []struct {
		name    string
		writes  []string
		checked []string // messages the check saw
		read    string   // what sipgo reads, all chunks joined
		answer  string   // what went back on the connection (prefix)
		framing bool     // the stream ended with errTCPFraming
	}{
		{"whole", []string{msg}, []string{msg}, msg, "", false},
		{"split", []string{msg[:10], msg[10:60], msg[60:]}, []string{msg}, msg, "", false},
		{"joined with keep-alives", []string{"\r\n\r\n" + msg + "\r\n\r\n" + msg}, []string{msg, msg},
			"\r\n\r\n" + msg + "\r\n\r\n" + msg, "", false},
		{"compact l", []string{opt + "l: 4\r\n\r\nbodyX"}, []string{opt + "l: 4\r\n\r\nbody"}, opt + "l: 4\r\n\r\nbody", "", false},
		{"bad Content-Length", []string{opt + "Content-Length: -3\r\n\r\n"}, nil, "", "SIP/2.0 400", true},
		{"two Content-Lengths", []string{opt + "Content-Length: 1\r\nl: 2\r\n\r\nab"}, nil, "", "SIP/2.0 400", true},
		{"too large", []string{opt + "Content-Length: 70000\r\n\r\n"}, nil, "", "SIP/2.0 513", true},
		{"headers never end", []string{opt + strings.Repeat("X-Pad: 0123456789\r\n", 4000)}, nil, "", "SIP/2.0 413", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tcpPair(t)
			var checked []string
			fc := newFramedConn(server, func(_ netip.AddrPort, m []byte) ([]byte, []byte) {
				checked = append(checked, string(m))
				return m, nil
			})
			answers := make(chan string, 1)
			go func() {
				for _, w := range tc.writes {
					if _, err := client.Write([]byte(w)); err != nil {
						break
					}
				}
				client.(*net.TCPConn).CloseWrite() // EOF for the framer; answers still come back
			}()
			go func() { // what the framer answers, until it closes
				b, _ := io.ReadAll(client)
				answers <- string(b)
			}()
			var read strings.Builder
			buf := make([]byte, 7) // small reads: messages handed on in parts
			var err error
			for {
				var n int
				if n, err = fc.Read(buf); err != nil {
					break
				}
				read.Write(buf[:n])
			}
			server.Close()
			if read.String() != tc.read {
				t.Errorf("sipgo read %q, want %q", read.String(), tc.read)
			}
			if strings.Join(checked, "|") != strings.Join(tc.checked, "|") {
				t.Errorf("checked %q, want %q", checked, tc.checked)
			}
			if got := errors.Is(err, errTCPFraming); got != tc.framing {
				t.Errorf("read error %v, framing lost %v, want %v", err, got, tc.framing)
			}
			if a := <-answers; !strings.HasPrefix(a, tc.answer) || (tc.answer == "" && a != "") {
				t.Errorf("answered %q, want %q...", a, tc.answer)
			}
		})
	}
}

// tcpPair is a connected pair of loopback TCP connections, closed when
// the test ends.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if server, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}
