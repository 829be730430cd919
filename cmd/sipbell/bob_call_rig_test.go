package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sipbell/sipbell/internal/interop"
)

// The rig of the whole-binary audio tests in which bob, a baresip
// registered on Kamailio, calls the door registered there too and what
// he hears is judged (aec_binary_test.go, voice_clean_binary_test.go).

// startBob starts Kamailio and bob, registered on it over UDP.
func startBob(t *testing.T) (*interop.Kamailio, *interop.Baresip) {
	t.Helper()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	return k, interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
}

// bobDoorConfig is the configuration of a door registered on k (account
// door, calls from 127.0.0.1 allowed) whose audio: section holds audio
// (its lines, indented).
func bobDoorConfig(k *interop.Kamailio, audio string) string {
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  allow_from: [127.0.0.1]
  accounts:
    - registrar: %s
      user: door
      password: %s
audio:
%s`, k.UDP, interop.Password, audio)
}

// bobCallsDoor waits until the door registered on k, has bob call it,
// and waits until his call is established.
func bobCallsDoor(ctx context.Context, t *testing.T, k *interop.Kamailio, bob *interop.Baresip) {
	t.Helper()
	if _, err := k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("the door never registered: %v", err)
	}
	if _, err := bob.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
}

// bobHangsUp waits until bob's recording of what he heard holds size
// bytes (a WAV file), has him hang up, waits until the door p ended the
// call, and returns the recording.
func bobHangsUp(ctx context.Context, t *testing.T, p *voiceProc, bob *interop.Baresip, size int64) string {
	t.Helper()
	heard := waitGlob(ctx, t, filepath.Join(bob.RecordDir, "dump-*-dec.wav"))
	waitFileSize(ctx, t, heard, size, "bob's recording")
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
	return heard
}
