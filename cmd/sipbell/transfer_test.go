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

// TestTransferDoorCall: a visitor presses call button 1; the door station
// (the sipbell binary) calls alice, a real baresip, who answers and hands
// the call on to bob with baresip's /transfer (a blind transfer: REFER).
// The door follows the REFER: it calls bob, alice's call ends, the
// device logs the transfer, and the visitor's voice (the door's
// microphone) reaches bob as a faithful G.711 copy.
func TestTransferDoorCall(t *testing.T) {
	t.Parallel()
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", AutoAnswer: true})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startButtonCaller(ctx, t, alice.URI)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	if _, err := alice.Command(ctx, "transfer", bob.URI); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	moved := p.await(ctx, t, "call transferred", nil, 1)
	if to, _ := moved["to"].(string); !strings.Contains(to, "bob@") {
		t.Errorf("the device says the call went to %q, want bob", to)
	}
	established := time.Now()
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatalf("alice's call did not end: %v", err)
	}
	bobHeardDoor(ctx, t, p, bob, established)
}

// TestAttendedTransferDoorCall: as above, but the resident's phone (a
// sipp, since baresip 1.0.0 cannot) transfers the door call after a
// consultation call with bob: its REFER's Refer-To carries Replaces
// naming that consultation dialog. The door calls bob with the Replaces
// header and Referred-By; baresip 1.0.0 does not do Replaces and answers
// 420 to Require: replaces, so the door calls it again without (a new
// call for bob); it reports 200 in a NOTIFY, ends the resident's dialog,
// and the visitor's voice reaches bob. (The Replaces header itself is
// checked by the ua package's sipp tests.)
func TestAttendedTransferDoorCall(t *testing.T) {
	t.Parallel()
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", AutoAnswer: true})
	resident := interop.StartSipp(t, interop.SippOptions{Scenario: filepath.Join("..", "..", "ua", "testdata", "sipp", "uas_refer.xml"),
		Timeout: 40 * time.Second, Replace: map[string]string{
			"referto": bob.URI + "?Replaces=consult%40127.0.0.1%3Bto-tag%3Dbobtag%3Bfrom-tag%3Dresidenttag", "final": "200 OK"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startButtonCaller(ctx, t, "sip:resident@"+resident.Addr)
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	p.await(ctx, t, "call transferred", nil, 1)
	established := time.Now()
	if r := resident.Wait(ctx); r.Exit != 0 {
		t.Errorf("the resident's phone (REFER, NOTIFYs, BYE): sipp exit %d\n%s", r.Exit, r.Log)
	}
	bobHeardDoor(ctx, t, p, bob, established)
}

// startButtonCaller starts the door station (the sipbell binary) with
// call button 1 calling target and the test's voice signal as its
// microphone, waits until it is ready and presses the button: the
// visitor's call is on its way.
func startButtonCaller(ctx context.Context, t *testing.T, target string) *voiceProc {
	t.Helper()
	dir := t.TempDir()
	mic, speaker := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	interop.WriteWAV(t, mic, voiceSignal(30))
	p := startVoice(t, voiceConfig(mic, speaker, fmt.Sprintf("device:\n  buttons:\n    - targets: [%q]\n", target)), nil)
	p.await(ctx, t, "door station ready", nil, 1)
	p.press(t, 1)
	return p
}

// bobHeardDoor waits for bob's recording of the transferred call (which
// carried audio since established), hangs bob up, stops the door and
// judges the visitor's voice as bob heard it.
func bobHeardDoor(ctx context.Context, t *testing.T, p *voiceProc, bob *interop.Baresip, established time.Time) {
	t.Helper()
	heard := waitGlob(ctx, t, filepath.Join(bob.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, wavBytes(voiceSeconds), "bob's recording")
	call := time.Since(established)
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
	p.stop(ctx, t)
	judgeVoice(t, "door → bob", heard, call)
}
