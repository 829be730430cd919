package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATACallerIDName: Kamailio asserts alice with a display name
// (P-Asserted-Identity: "Alice Liddell" <sip:alice@…>); the caller ID
// the phone sends between the first and second ring, recorded in the
// earpiece and decoded by multimon-ng, carries that name beside the
// number. The From display name baresip sends is not used.
func TestATACallerIDName(t *testing.T) {
	t.Parallel()
	interop.Need(t, "multimon-ng", "multimon-ng")
	k := interop.StartKamailio(t, interop.KamailioOptions{AssertName: "Alice Liddell"})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n", kamailioSIP(k)))
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	n, _ := p.await(ctx, t, "caller ID sent", nil, 1)["samples"].(float64) // JSON number
	waitFileSize(ctx, t, ear, 44+2*int64(n), "caller ID")
	p.stop(ctx, t)
	x := readWAV(t, ear)
	cid := x[:min(len(x), int(n)+800)]
	got := interop.Multimon(t, "CLIPFSK", append(append(make([]int16, 800), cid...), make([]int16, 1600)...))
	t.Logf("multimon-ng: %q", got)
	if !strings.Contains(got, "CID=alice") || !strings.Contains(got, "Alice Liddell") {
		t.Errorf("multimon-ng decoded %q, want the number alice and the name Alice Liddell", got)
	}
}
