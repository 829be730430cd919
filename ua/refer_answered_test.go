package ua

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestTransfersKeepNoAnsweredDialogs: a call transferred again and again
// (each sipp target REFERs the door on to the next at once) keeps no
// list of the dialogs its transfers answered: once a transfer has taken
// the call over, its dialog is found as the call's (answeredIDs grew by
// one per transfer for the life of the call).
func TestTransfersKeepNoAnsweredDialogs(t *testing.T) {
	t.Parallel()
	const hops = 3
	last := uas(t, scenario("uas_transfer_target.xml"), map[string]string{"want": "Referred-By: .sip:"})
	next, targets := last, []*interop.Sipp{last}
	for i := hops - 1; i > 0; i-- {
		next = uas(t, scenario("uas_refer.xml"), map[string]string{"referto": fmt.Sprintf("sip:target%d@%s", i+1, next.Addr), "final": "200 OK"})
		targets = append(targets, next)
	}
	resident := uas(t, scenario("uas_refer.xml"), map[string]string{"referto": "sip:target1@" + next.Addr, "final": "200 OK"})
	h := start(t, testConfig(), nil)
	c := callTo(t, h, Hunt, "sip:uas@"+resident.Addr)
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	h.wait(t, 20*time.Second, "transferred to the last target", func(e Event) bool {
		return e.Transferred && strings.Contains(e.Peer, fmt.Sprintf("target%d@%s", hops, last.Addr)) && e.CallID == c.ID()
	})
	h.UA.mu.Lock()
	cl := h.UA.calls[c.ID()]
	h.UA.mu.Unlock()
	if cl == nil {
		t.Fatal("the transferred call is gone")
	}
	cl.mu.Lock()
	kept := len(cl.answeredIDs)
	cl.mu.Unlock()
	if kept != 0 {
		t.Errorf("after %d transfers the call keeps %d answered dialogs, want none", hops, kept)
	}
	sippDone(t, resident)
	hangup(t, c)
	for _, s := range targets {
		sippDone(t, s)
	}
}
