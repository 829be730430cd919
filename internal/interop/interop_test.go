package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKamailioListeners(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{TLS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tr := range []struct{ transport, addr string }{{"udp", k.UDP}, {"tcp", k.TCP}, {"tls", k.TLS}} {
		line, err := Ping(ctx, tr.transport, tr.addr, k.TLSConfig())
		if err != nil || !strings.Contains(line, " 200 ") {
			t.Errorf("%s ping: %q, %v", tr.transport, line, err)
		}
	}
	// A client that does not trust the test CA must be refused.
	other := NewCA(t, "other")
	if _, err := Ping(ctx, "tls", k.TLS, other.clientConfig()); err == nil {
		t.Error("TLS ping with a foreign CA succeeded")
	}
	c, err := k.Contacts(ctx, "door")
	if err != nil || len(c) != 0 {
		t.Errorf("door contacts before registering: %v, %v", c, err)
	}
	k.Restart(t)
	if _, err := Ping(ctx, "udp", k.UDP, nil); err != nil {
		t.Errorf("ping after restart: %v", err)
	}
}

// TestPeersTalk proves the three peers work together: baresip registers
// with Kamailio, sipp calls it through Kamailio, baresip answers.
func TestPeersTalk(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	b := StartBaresip(t, BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if c, err := k.WaitContacts(ctx, "alice", 1); err != nil {
		t.Fatalf("alice not in location table: %v %v", c, err)
	}
	r := RunSipp(ctx, t, SippOptions{Scenario: "uac_call.xml", Remote: k.UDP, Service: "alice",
		Args: []string{"-d", "300"}})
	if r.Exit != 0 {
		t.Fatalf("sipp exit %d\n%s\n%s", r.Exit, r.Log, r.Messages)
	}
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Error(err)
	}
	if err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(r.Messages, "SIP/2.0 200 OK") {
		t.Error("no 200 OK in sipp trace")
	}
}

func TestKamailioPresenceConfigLoads(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{Presence: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Ping(ctx, "udp", k.UDP, nil); err != nil {
		t.Fatal(err)
	}
}

// recorder stands in for a testing.TB to observe Need's decision.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()               {}
func (r *recorder) Skip(args ...any)      { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any)     { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Fatalf(string, ...any) { r.fatal = "fatalf" }

func TestNeedMissingBinary(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			Need(r, "sipbell-no-such-binary", "sipbell-pkg")
			got := r.skipped
			if ci == "true" {
				got = r.fatal
				if r.skipped != "" {
					t.Error("skipped in CI")
				}
			} else if r.fatal != "" {
				t.Error("failed outside CI")
			}
			if !strings.Contains(got, "apt-get install") || !strings.Contains(got, "sipbell-pkg") {
				t.Errorf("message %q does not say what to install", got)
			}
		})
	}
	if p := Need(t, "sh", "dash"); p == "" {
		t.Error("Need did not find sh")
	}
}
