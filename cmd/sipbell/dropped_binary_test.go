package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatusCountsWhatTheGuardDropped: a scanner's requests are dropped
// unanswered, and the status page says how many and why, so an installer
// can see the device is being probed.
func TestStatusCountsWhatTheGuardDropped(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, "sip:\n  listen: 127.0.0.1:0\n  user: door\n"+
		"provisioning:\n  state_dir: "+state+"\n  admin:\n    listen: 127.0.0.1:0\n    tls: false\n    password: \"test-Pass-123\"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")
	client := &http.Client{Timeout: 5 * time.Second}
	status := func() []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", url+"/api/status", nil)
		req.SetBasicAuth("admin", "test-Pass-123")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return body
	}
	var st struct {
		Device struct {
			SIP struct {
				Listen  string         `json:"listen"`
				Dropped map[string]int `json:"dropped"`
			} `json:"sip"`
		} `json:"device"`
	}
	if err := json.Unmarshal(status(), &st); err != nil || st.Device.SIP.Listen == "" {
		t.Fatalf("status has no SIP address: %v %+v", err, st)
	}
	sipAddr := st.Device.SIP.Listen

	conn, err := net.Dial("udp", sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const sent = 20
	for i := range sent {
		fmt.Fprintf(conn, "OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-scan%d\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:100@%s>;tag=s%d\r\nTo: <sip:100@%s>\r\nCall-ID: scan%d\r\n"+
			"CSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n",
			sipAddr, conn.LocalAddr(), i, sipAddr, i, sipAddr, i)
	}
	for {
		body := status()
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("status: %v\n%s", err, body)
		}
		if n := st.Device.SIP.Dropped["scanner"]; n == sent {
			return
		} else if n > sent {
			t.Fatalf("status counts %d scanner requests dropped, %d were sent", n, sent)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the status page never counted the scanner's %d requests: %s", sent, body)
		case <-time.After(50 * time.Millisecond): // polling the status page
		}
	}
}
