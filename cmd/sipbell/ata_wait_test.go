package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// heldSDP is a trace line (one message) of an answer to a hold: the held
// side's recvonly (to our sendonly) or inactive.
var heldSDP = regexp.MustCompile(`"sip recv"[^\n]*"SIP/2\.0 200 OK[^\n]*CSeq: \d+ INVITE[^\n]*a=(recvonly|inactive)`)

// TestATACallWaitingSwap: alice (baresip, 440 Hz) calls the phone through
// Kamailio and is answered; bob (baresip, 700 Hz) calls during the call:
// the call-waiting tone; a hook flash (the sim board's) answers bob and
// holds alice, whose baresip answers the re-INVITE recvonly/inactive; the
// earpiece then carries bob's 700 Hz; a second flash swaps back to
// alice's 440 Hz; on hook hangs alice up and rings the bell for bob on
// hold (recall); off hook resumes him; on hook ends him.
func TestATACallWaitingSwap(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, ToneHz: 440})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP, ToneHz: 700})
	dir := t.TempDir()
	ear := filepath.Join(dir, "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear, "    country: US\n    caller_id: \"off\"\n    call_waiting: true\n", kamailioSIP(k)),
		"-sip-trace")
	p.await(ctx, t, "registration registered", nil, 1)
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:alice@"+k.UDP+": ringing", nil, 1)
	p.hook(ctx, t, true)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	if _, err := bob.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call waiting", map[string]string{"peer": "sip:bob@" + k.UDP}, 1)
	p.simPost(ctx, t, "/flash", ``)
	p.await(ctx, t, "flash: answering the waiting call, holding the other", nil, 1)
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call answered", nil, 2)
	bobAt := pcmSamples(t, ear)
	waitFileSize(ctx, t, ear, int64(44+2*(bobAt+3*8000)), "bob's call in the earpiece")
	if m := heldSDP.FindStringSubmatch(p.log()); m == nil {
		t.Errorf("alice's baresip answered no re-INVITE with a=recvonly or a=inactive (held)")
	} else {
		t.Logf("alice on hold answered a=%s", m[1])
	}
	p.simPost(ctx, t, "/flash", ``)
	p.await(ctx, t, "flash: swapping calls", nil, 1)
	aliceAt := pcmSamples(t, ear)
	waitFileSize(ctx, t, ear, int64(44+2*(aliceAt+3*8000)), "alice's call in the earpiece again")

	p.hook(ctx, t, false)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "recall: a call is on hold, ringing", nil, 1)
	p.hook(ctx, t, true)
	p.await(ctx, t, "recalled call resumed", nil, 1)
	p.hook(ctx, t, false)
	if err := bob.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	p.stop(ctx, t)

	x := readWAV(t, ear)
	share := func(from int, hz float64) (int, int) { // frames of the 3 s after from (the first 0.5 s skipped)
		var good, n int
		for _, f := range frames(voiced(x[from+4000 : min(len(x), from+3*8000)])) {
			n++
			if interop.ToneShare(f, hz) > 0.8 {
				good++
			}
		}
		return good, n
	}
	for _, c := range []struct {
		who  string
		at   int
		hz   float64
		near float64
	}{{"bob (after the first flash)", bobAt, 700, 440}, {"alice (after the swap)", aliceAt, 440, 700}} {
		good, n := share(c.at, c.hz)
		other, _ := share(c.at, c.near)
		t.Logf("earpiece, %s: %d voiced frames, %d of %.0f Hz, %d of %.0f Hz", c.who, n, good, c.hz, other, c.near)
		if n < 50 || good < n*8/10 || other > n/10 {
			t.Errorf("earpiece, %s: %d of %d frames at %.0f Hz, %d at %.0f Hz: want the active call's tone only", c.who, good, n, c.hz, other, c.near)
		}
	}
}
