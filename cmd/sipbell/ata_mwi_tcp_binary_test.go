package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// mwiTCPNetnsEnv names the network namespace TestATAVoicemailTCPBinary
// runs in.
const mwiTCPNetnsEnv = "SIPBELL_MWI_TCP_NETNS"

// TestATAVoicemailTCPBinary: the phone's account names no transport and
// DNS (sip.dns_server: NAPTR SIP+D2T first) says TCP: the voicemail
// SUBSCRIBE goes to Kamailio over TCP with a Contact that says TCP, so
// Kamailio's NOTIFYs come back over TCP, none over UDP.
func TestATAVoicemailTCPBinary(t *testing.T) {
	if !inBinaryNetns(t, mwiTCPNetnsEnv) {
		return
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Presence: true, Aliases: []string{"pbx.test"}})
	d := tcpByDNS(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sipSection := fmt.Sprintf("sip:\n  listen: 127.0.0.1:0\n  user: door\n  dns_server: %s\n  accounts:\n"+
		"    - registrar: sip:pbx.test\n      user: door\n      password: %s\n", d.Addr, interop.Password)
	p := startATA(ctx, t, ataConfig("silence", filepath.Join(t.TempDir(), "earpiece.wav"), "    country: US\n", sipSection), "-sip-trace")
	p.await(ctx, t, "voicemail subscription active", nil, 1)
	notify := p.awaitTrace(ctx, t, "NOTIFY ") // the phone sends none
	var subscribes []string
	for _, m := range p.traced("SUBSCRIBE ") {
		subscribes = append(subscribes, fmt.Sprint(m["transport"])+": "+headerLine(fmt.Sprint(m["msg"]), "Contact"))
	}
	if len(subscribes) == 0 {
		t.Fatal("no SUBSCRIBE in the trace")
	}
	for _, s := range subscribes {
		if !strings.HasPrefix(strings.ToLower(s), "tcp: ") || !strings.Contains(strings.ToLower(s), "transport=tcp") {
			t.Errorf("SUBSCRIBE over %s, want TCP with a Contact saying transport=tcp", s)
		}
	}
	if tr := strings.ToLower(fmt.Sprint(notify["transport"])); tr != "tcp" {
		t.Errorf("Kamailio's NOTIFY came over %s, want tcp (SUBSCRIBEs: %q)", tr, subscribes)
	}
}

// traced returns the -sip-trace lines holding a SIP message that starts
// with prefix. The trace's "msg" attribute (the message) follows the log
// line's own msg ("sip recv", "sip send"), so the decoded line holds
// the message under "msg".
func (p *voiceProc) traced(prefix string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.lines {
		// One TCP read may hold two messages (the SUBSCRIBE's 200 and
		// the first NOTIFY, in CI): sipgo traces the read as it came.
		if s, _ := m["msg"].(string); m["remote"] != nil && (strings.HasPrefix(s, prefix) || strings.Contains(s, "\r\n\r\n"+prefix)) {
			out = append(out, m)
		}
	}
	return out
}

// awaitTrace waits for the first -sip-trace line whose SIP message
// starts with prefix, and returns it.
func (p *voiceProc) awaitTrace(ctx context.Context, t *testing.T, prefix string) map[string]any {
	t.Helper()
	for {
		p.mu.Lock()
		ch := p.wake
		p.mu.Unlock()
		if got := p.traced(prefix); len(got) > 0 {
			return got[0]
		}
		select {
		case <-ch:
		case <-p.done:
			t.Fatalf("sipbell exited before a traced %q", prefix)
		case <-ctx.Done():
			t.Fatalf("no traced %q: %v", prefix, ctx.Err())
		}
	}
}

// headerLine returns the first line of SIP message msg naming header
// name, "" when there is none.
func headerLine(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			return l
		}
	}
	return ""
}
