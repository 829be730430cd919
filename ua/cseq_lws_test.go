package ua

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestCSeqLWS: RFC 3261 §20.16 allows any linear whitespace between the
// CSeq number and method ("CSeq: 0009    OPTIONS"); sipgo keeps it in the
// method, so the request used to be refused 400 ("CSeq method differs").
// Over UDP and TCP it is answered as any OPTIONS is.
func TestCSeqLWS(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			h := start(t, testConfig(), nil)
			c, err := net.Dial(transport, h.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			msg := "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n" +
				"Via: SIP/2.0/" + strings.ToUpper(transport) + " " + c.LocalAddr().String() + ";branch=z9hG4bK-cseq-lws\r\n" +
				"From: <sip:visitor@example.com>;tag=1\r\nTo: <sip:door@127.0.0.1>\r\nCall-ID: cseq-lws\r\n" +
				"CSeq: 0009  \t  OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			if code, res := finalAnswer(c, 3*time.Second); code != 200 || !strings.Contains(res, "CSeq: 9 OPTIONS") {
				t.Errorf("answered %d, want 200 with CSeq 9 OPTIONS\n%s", code, res)
			}
		})
	}
}
