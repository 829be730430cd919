//go:build linux

package ua

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAnswerReturnsOnceThe200IsSent: Answer returns only once the 200 OK
// has been handed to the socket (issue 16), so that whoever answered (the
// door station: its log line, LEDs and history) goes on after the 200 is
// out instead of before it. With one P the order is certain: without the
// hand-shake Answer returns before the call's goroutine has run, and the
// 200 is not yet in the caller's socket. A rejection returns likewise once
// its final answer is out.
func TestAnswerReturnsOnceThe200IsSent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := testConfig()
	cfg.AutoAnswer = false
	h := start(t, cfg, nil)
	addr := h.Addr().String()
	seen := map[string]bool{}
	for i, tc := range []struct {
		name   string
		decide func(context.Context, Call) error
		want   string
	}{
		{"answer", func(ctx context.Context, c Call) error { return c.Answer(ctx) }, "SIP/2.0 200 "},
		{"reject", func(ctx context.Context, c Call) error { return c.Reject(ctx, 486) }, "SIP/2.0 486 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, h).(*net.UDPConn)
			id := fmt.Sprintf("order%d-%d", i, time.Now().UnixNano())
			fmt.Fprint(conn, request("INVITE", addr, conn.LocalAddr(), id, "Content-Type: application/sdp\r\n", offerSDP))
			ev := h.wait(t, 5*time.Second, "ringing", func(e Event) bool {
				return callIs(CallRinging)(e) && !seen[e.CallID]
			})
			seen[ev.CallID] = true
			c := h.callByID(t, ev.CallID)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tc.decide(ctx, c); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got := queued(t, conn)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("%s returned before %q was sent; queued for the caller:\n%s", tc.name, tc.want, got)
			}
			if tc.name == "answer" {
				to := headerValue(got[strings.Index(got, tc.want):], "To")
				fmt.Fprint(conn, benchACK(addr, conn.LocalAddr(), id, to))
				fmt.Fprint(conn, benchBYE(addr, conn.LocalAddr(), id, to))
			}
			h.wait(t, 5*time.Second, "ended", func(e Event) bool { return callIs(CallEnded)(e) && e.CallID == ev.CallID })
		})
	}
}

// TestAnswerWaitIsBounded: Answer waits for the call's goroutine to act
// on the decision at most answerWait (a 200 held up in a stalled TCP
// connection must not hold up the device's loop), and the answer stands.
func TestAnswerWaitIsBounded(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	u, err := New(testConfig(), "t", discard(), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	c := u.newCall(true, "sip:caller@127.0.0.1") // ringing; no goroutine takes the decision
	done := make(chan error, 1)
	go func() { done <- c.Answer(context.Background()) }()
	giveUp := time.Now().Add(10 * time.Second)
	for armed := false; !armed; runtime.Gosched() { // until Answer waits on its timer
		if time.Now().After(giveUp) {
			t.Fatal("Answer set no timer on its wait")
		}
		clk.mu.Lock()
		armed = len(clk.timers) > 0
		clk.mu.Unlock()
	}
	select {
	case err := <-done:
		t.Fatalf("Answer returned before its wait was over: %v", err)
	default:
	}
	clk.Advance(answerWait)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Answer: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Answer still waiting past answerWait")
	}
	if code := <-c.decide; code != 200 {
		t.Errorf("decision %d, want 200", code)
	}
}

// callByID returns the call in progress with the Call handle's id.
func (h *harness) callByID(t *testing.T, id string) Call {
	t.Helper()
	for _, c := range h.Calls() {
		if c.ID() == id {
			return c
		}
	}
	t.Fatalf("no call %s in progress", id)
	return nil
}

// queued returns the datagrams waiting in conn's socket, without waiting
// for more.
func queued(t *testing.T, conn *net.UDPConn) string {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 65536)
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			if err != nil || n <= 0 {
				return true
			}
			b.Write(buf[:n])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
