package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// hashOf runs `sipbell -hash-code` with code on its standard input, as
// an installer makes a code_hash.
func hashOf(t *testing.T, code string) string {
	t.Helper()
	cmd := exec.Command(binary(t), "-hash-code")
	cmd.Stdin = strings.NewReader(code + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("sipbell -hash-code: %v: %s", err, errb.String())
	}
	h := strings.TrimSpace(out.String())
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, code) {
		t.Fatalf("sipbell -hash-code printed %q", h)
	}
	return h
}

// sendKeys has b key each of keys into its call (RFC 4733).
func sendKeys(ctx context.Context, t *testing.T, b *interop.Baresip, keys string) {
	t.Helper()
	for _, k := range keys {
		if _, err := b.Command(ctx, "sndcode", string(k)); err != nil {
			t.Fatal(err)
		}
	}
}

// keyingRig is a door registered on Kamailio whose call button 1 calls
// alice, an auto-answering baresip who keys codes into the call.
type keyingRig struct {
	k     *interop.Kamailio
	alice *interop.Baresip
}

// startKeyingRig starts Kamailio and alice.
func startKeyingRig(t *testing.T) *keyingRig {
	t.Helper()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	return &keyingRig{k: k, alice: interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true})}
}

// config is the door's configuration: its account on Kamailio, button 1
// calling alice, no single door code, door (more lines under
// device.door) and rest (top-level sections after device).
func (r *keyingRig) config(door, rest string) string {
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  auto_answer: false
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: sim
device:
  buttons:
    - targets: [alice]
  door:
    code: ""
%s%s`, r.k.UDP, interop.Password, door, rest)
}

// callAlice presses p's button 1 and waits until alice answered.
func (r *keyingRig) callAlice(ctx context.Context, t *testing.T, p *doorProc) {
	t.Helper()
	p.press(t, 1)
	if err := r.alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"peer": "alice"})
}

// TestAccessCodeBinary (issue 20): the sipbell binary on the sim board
// calls alice, a real baresip, who keys the gardener's code: only the
// gate relay (relay 2) pulses, and the log says the gardener opened it,
// never the code. Then wrong codes lock alice's keys out (the right code
// no longer opens), and the code appears in no output.
func TestAccessCodeBinary(t *testing.T) {
	t.Parallel()
	const code, wrong = "7351", "1111"
	hash := hashOf(t, code)
	r := startKeyingRig(t)
	alice := r.alice
	p := startDoor(t, r.config(fmt.Sprintf(`    relay_pulse: 5s
    relays:
      - name: gate
        pulse: 300ms
    access:
      max_failures: 2
      users:
        - name: gardener
          code_hash: "%s"
          relays: [2]
`, hash), testProvisioning(t.TempDir())))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})
	r.callAlice(ctx, t, p)
	sendKeys(ctx, t, alice, code+"#")
	p.awaitOut(ctx, t, "door relay 2 on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:gardener", "relay": "2"})
	p.awaitOut(ctx, t, "door relay 2 off")

	sendKeys(ctx, t, alice, wrong+"#")
	p.awaitLog(ctx, t, "door not opened: wrong code", map[string]string{"source": "alice"})
	sendKeys(ctx, t, alice, wrong+"#")
	p.awaitLog(ctx, t, "door codes locked out: too many wrong codes", map[string]string{"source": "alice"})
	sendKeys(ctx, t, alice, code+"#")
	p.awaitLog(ctx, t, "door code ignored: locked out", map[string]string{"source": "alice"})

	p.mu.Lock()
	all := p.all.String()
	p.mu.Unlock()
	if n := strings.Count(all, "out: door relay 2 on"); n != 1 {
		t.Errorf("the gate pulsed %d times, want once (the locked-out code must not open)", n)
	}
	if strings.Contains(all, "out: door relay on") {
		t.Error("relay 1 pulsed: the gardener's code opens only the gate")
	}
	if strings.Contains(all, code) || strings.Contains(all, wrong) {
		t.Errorf("a code appears in sipbell's output")
	}
}

// TestAccessKeypadBinary (issue 20): a code keyed on the sim board's
// keypad (the terminal's k command, as a USB keypad's keys arrive) opens
// the user's relay, recorded as opened by the keypad; the terminal
// never echoes the keys.
func TestAccessKeypadBinary(t *testing.T) {
	t.Parallel()
	const code = "4826"
	hash := hashOf(t, code)
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
device:
  door:
    relay_pulse: 300ms
    access:
      users:
        - name: postman
          code_hash: "%s"
%s`, hash, testProvisioning(t.TempDir())))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.awaitLog(ctx, t, "door station ready", nil)
	if _, err := fmt.Fprintf(p.stdin, "k%s#\n", code); err != nil {
		t.Fatal(err)
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:postman", "how": "keypad", "relay": "1"})
	if _, err := fmt.Fprintf(p.stdin, "k9999#\n"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "door not opened: wrong code", map[string]string{"source": "keypad"})
	p.mu.Lock()
	all := p.all.String()
	p.mu.Unlock()
	if strings.Contains(all, code) || strings.Contains(all, "9999") {
		t.Errorf("a code appears in sipbell's output")
	}
}
