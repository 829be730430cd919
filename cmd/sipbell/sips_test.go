package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestSIPSDoorThroughKamailio: the sipbell binary registers a sips:
// account with Kamailio over TLS (the server's certificate checked
// against the configured CA) and serves SIP over TLS itself; alice, a
// baresip registered over TLS too, is called from the door's button,
// opens the door with "#", and then calls the door, which answers. All
// signalling is TLS end to end.
func TestSIPSDoorThroughKamailio(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.TLS, Transport: "tls",
		CA: k.CA, AutoAnswer: true})
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  listen_tls: 127.0.0.1:0
  user: door
  accounts:
    - registrar: sips:%s
      user: door
      password: %s
      tls_ca_file: %s
board:
  profile: sim
device:
  auto_answer: true
  buttons:
    - targets: [alice]
      ring_timeout: 30s
  door:
    code: "#"
    relay_pulse: 500ms
provisioning:
  state_dir: %s
  admin:
    listen: ""
`, k.TLS, interop.Password, k.CA.CertFile, state))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tlsAddr := fmt.Sprint(p.awaitLog(ctx, t, "sip listening tls", nil)["tls"])
	p.awaitLog(ctx, t, "registered", map[string]string{"component": "door"})

	// Out: the door calls alice through Kamailio over TLS.
	p.press(t, 1)
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call answered", map[string]string{"peer": "alice"})
	if _, err := alice.Command(ctx, "sndcode", "#"); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "door opened", map[string]string{"who": "alice"})
	p.press(t, 1)
	if err := alice.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}

	// In: alice calls the door over TLS through Kamailio.
	if _, err := alice.Command(ctx, "dial", "sip:door@"+k.TLS+";transport=tls"); err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("alice's call over TLS not established: %v", err)
	}
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.awaitLog(ctx, t, "call ended", nil)
	t.Logf("door's TLS listener %s", tlsAddr)
}

// TestSIPSCertificateSurvivesRestart: the binary with listen_tls makes
// its self-signed certificate on first start and shows the same one
// (same fingerprint in its start line) after a restart.
func TestSIPSCertificateSurvivesRestart(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	config := "sip:\n  listen: 127.0.0.1:0\n  listen_tls: 127.0.0.1:0\n  user: door\n" + testProvisioning(state)
	var prints []string
	for range 2 {
		p := startWith(t, nil, config)
		line := p.await(t, "sip listening tls")
		prints = append(prints, fmt.Sprint(line["fingerprint"]))
		if code := p.stop(t); code != 0 {
			t.Fatalf("exit code %d", code)
		}
	}
	if prints[0] == "" || prints[0] == "<nil>" || prints[0] != prints[1] {
		t.Fatalf("fingerprints across a restart: %q then %q, want the same", prints[0], prints[1])
	}
}
