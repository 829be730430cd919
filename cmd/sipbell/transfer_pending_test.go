package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestReferWhileTransferringBinary: a visitor presses call button 1; the
// door station (the sipbell binary) calls the resident, a sipp that
// transfers the call to a target the test keeps ringing, and while the
// door still calls it sends a second REFER: 491 Request Pending. When the
// target then refuses (486), the resident hears so in the final NOTIFY,
// the call stays, and its third REFER, to bob (a real baresip), is
// accepted: bob gets the call. The resident's scenario fails on any other
// answer or order.
func TestReferWhileTransferringBinary(t *testing.T) {
	t.Parallel()
	sippDir := filepath.Join("..", "..", "ua", "testdata", "sipp")
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true})
	held := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join(sippDir, "uas_held_target.xml"),
		Timeout: 40 * time.Second, Replace: map[string]string{"code": "486", "reason": "Busy Here"}})
	resident := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join(sippDir, "uas_refer_twice.xml"),
		Timeout: 40 * time.Second, Replace: map[string]string{
			"referto": "sip:target@" + held.Addr, "final": "486 Busy Here", "referto2": bob.URI}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startButtonCaller(ctx, t, "sip:resident@"+resident.Addr)
	p.await(ctx, t, "call transfer asked", nil, 1)
	awaitTrace(ctx, t, resident, "SIP/2.0 491 Request Pending")
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	moved := p.await(ctx, t, "call transferred", nil, 1)
	if to, _ := moved["to"].(string); !strings.Contains(to, "bob@") {
		t.Errorf("the device says the call went to %q, want bob", to)
	}
	if r := resident.Wait(ctx); r.Exit != 0 {
		t.Errorf("the resident's phone (202, 491, NOTIFYs, 202, BYE): sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	if r := held.Wait(ctx); r.Exit != 0 || strings.Count(r.Messages, "INVITE sip:") != 1 {
		t.Errorf("the held target: sipp exit %d, want 0 and one INVITE\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	if n := len(p.matching("call transfer asked", nil)); n != 2 {
		t.Errorf("the device followed %d REFERs, want 2 (the 491'd one not)", n)
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
	p.stop(ctx, t)
}

// awaitTrace waits until sipp s's trace holds want.
func awaitTrace(ctx context.Context, t *testing.T, s *interop.Sipp, want string) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(s.Messages(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("sipp %s never traced %q:\n%s", s.Addr, want, s.Messages())
		case <-tick.C:
		}
	}
}
