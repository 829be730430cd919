package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAccessMatrixKeypadBinary: on the sim board with a 3×4 matrix
// keypad wired to the header, a user's code keyed on it (the terminal's
// k presses the simulated keys, read by the real row scanner) pulses the
// door relay; a wrong code does not.
func TestAccessMatrixKeypadBinary(t *testing.T) {
	t.Parallel()
	const code = "7310"
	hash := hashOf(t, code)
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
board:
  profile: sim
  matrix_keypad:
    rows: [GPIO8, GPIO9, GPIO10, GPIO11]
    cols: [GPIO0, GPIO1, GPIO2]
    debounce: 5ms
device:
  door:
    relay_pulse: 300ms
    access:
      users:
        - name: courier
          code_hash: "%s"
%s`, hash, testProvisioning(t.TempDir())))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.awaitLog(ctx, t, "matrix keypad scanning", map[string]string{"rows": "GPIO8,GPIO9,GPIO10,GPIO11", "cols": "GPIO0,GPIO1,GPIO2"})
	p.awaitLog(ctx, t, "door station ready", nil)
	if _, err := fmt.Fprintf(p.stdin, "k9999#\n"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "door not opened: wrong code", map[string]string{"source": "keypad"})
	p.mu.Lock()
	early := strings.Contains(p.all.String(), "door relay on")
	p.mu.Unlock()
	if early {
		t.Fatal("a wrong code pulsed the relay")
	}
	if _, err := fmt.Fprintf(p.stdin, "k%s#\n", code); err != nil {
		t.Fatal(err)
	}
	p.awaitOut(ctx, t, "door relay on")
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "code:courier", "how": "keypad", "relay": "1"})
	p.mu.Lock()
	all := p.all.String()
	p.mu.Unlock()
	if strings.Contains(all, code) || strings.Contains(all, "9999") {
		t.Errorf("a code appears in sipbell's output")
	}
}
