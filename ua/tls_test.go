package ua

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestDeviceCertificate: the self-signed certificate is made once in the
// state dir and the same one is loaded on the next start; a provided one
// is used as it is.
func TestDeviceCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	first, err := loadDeviceCert("", "", dir, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadDeviceCert("", "", dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := Fingerprint(first.Certificate[0]), Fingerprint(again.Certificate[0]); a != b {
		t.Errorf("certificate changed across starts: %s then %s", a, b)
	}
	if fi, err := os.Stat(filepath.Join(dir, SIPKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	leaf := first.Leaf
	if leaf == nil || leaf.PublicKeyAlgorithm.String() != "ECDSA" || !leaf.NotAfter.After(now.Add(10*365*24*time.Hour)) {
		t.Errorf("self-signed leaf %+v: want ECDSA valid for years", leaf)
	}
	provided, err := loadDeviceCert(filepath.Join(dir, SIPCertFile), filepath.Join(dir, SIPKeyFile), "", now)
	if err != nil || Fingerprint(provided.Certificate[0]) != Fingerprint(first.Certificate[0]) {
		t.Errorf("provided certificate: %v", err)
	}
	for _, tc := range []struct {
		name      string
		cert, key string
		dir       string
		want      string
	}{
		{"no state dir", "", "", "", "no state dir"},
		{"missing file", filepath.Join(dir, "nope.pem"), filepath.Join(dir, "nope-key.pem"), "", "tls_cert_file"},
	} {
		if _, err := loadDeviceCert(tc.cert, tc.key, tc.dir, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestConfigTLSValidate: cert and key go together; listen_tls is host:port.
func TestConfigTLSValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(c *Config) { c.ListenTLS = "127.0.0.1:5061" }, ""},
		{"bad listen", func(c *Config) { c.ListenTLS = "5061" }, "listen_tls"},
		{"cert without key", func(c *Config) { c.TLSCertFile = "/x.pem" }, "tls_key_file"},
		{"tls_server_name over TLS", func(c *Config) {
			c.Accounts = []Account{{Registrar: "sips:pbx.example", User: "door", TLSServerName: "sip1.pbx.example"}}
		}, ""},
		{"tls_server_name over UDP", func(c *Config) {
			c.Accounts = []Account{{Registrar: "pbx.example", User: "door", TLSServerName: "sip1.pbx.example"}}
		}, "tls_server_name"},
	} {
		c := testConfig()
		tc.edit(&c)
		err := c.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// startSIPS runs a UA with listen_tls on a free port and its certificate
// in a temporary state dir.
func startSIPS(t *testing.T) (*harness, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig()
	cfg.ListenTLS = "127.0.0.1:0"
	h := start(t, cfg, nil, WithStateDir(dir))
	<-h.ready
	if h.TLSAddr() == nil {
		t.Fatal("no TLS listener")
	}
	return h, dir
}

// TestSIPSBaresipCallsDoor: baresip calls the door over TLS, directly
// (sip:door@host:tlsport;transport=tls), trusting the device's
// self-signed certificate; the call is answered and baresip's BYE ends
// it. A baresip that does not trust the certificate gets no call, and
// sipbell logs the refused handshake.
func TestSIPSBaresipCallsDoor(t *testing.T) {
	t.Parallel()
	h, dir := startSIPS(t)
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Transport: "tls",
		CAFile: filepath.Join(dir, SIPCertFile)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	target := "sip:door@" + h.TLSAddr().String() + ";transport=tls"
	if _, err := alice.Command(ctx, "dial", target); err != nil {
		t.Fatal(err)
	}
	in := h.wait(t, 10*time.Second, "answered", callIs(CallAnswered))
	if err := alice.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("call over TLS not established at baresip: %v", err)
	}
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, 10*time.Second, "ended", func(e Event) bool {
		return e.Kind == EventCallState && e.State == CallEnded && e.CallID == in.CallID
	})
	if ev.Reason != "BYE from peer" {
		t.Errorf("call ended with %q, want BYE from peer", ev.Reason)
	}
}

// TestSIPSWrongCertificateRefused: a TLS client that does not trust the
// device's certificate (here: Go's TLS client with the system roots) never
// gets a request through; sipbell logs the failed handshake with the
// peer's address.
func TestSIPSWrongCertificateRefused(t *testing.T) {
	t.Parallel()
	h, dir := startSIPS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := interop.Ping(ctx, "tls", h.TLSAddr().String(), &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		t.Fatal("OPTIONS over TLS answered although the client does not trust the certificate")
	}
	waitLogged(t, h, "sip tls: handshake failed")
	// Trusting the device's certificate, the same OPTIONS is answered.
	cert, err := loadDeviceCert("", "", dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca := x509.NewCertPool()
	ca.AddCert(cert.Leaf)
	conf := &tls.Config{RootCAs: ca, ServerName: cert.Leaf.DNSNames[0]}
	if _, err := interop.Ping(ctx, "tls", h.TLSAddr().String(), conf); err != nil {
		t.Fatalf("OPTIONS over TLS with the device's certificate trusted: %v", err)
	}
}

// waitLogged waits (10 s hang guard) until the UA's log holds msg.
func waitLogged(t *testing.T, h *harness, msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logs.String(), msg) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not logged", msg)
		}
		time.Sleep(20 * time.Millisecond) // polling the log, not a timed wait
	}
}

// TestRegisterExpiredCertificateRefused: a registrar whose certificate
// has expired is not registered with (nothing is sent to it), and the
// failure says why.
func TestRegisterExpiredCertificateRefused(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true, TLSExpired: true})
	cfg := testConfig()
	cfg.Accounts = []Account{{Registrar: "sips:" + k.TLS, Transport: "tls", User: "door",
		Password: interop.Password, TLSCAFile: k.CA.CertFile, Expires: time.Minute}}
	h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = time.Hour }, WithStateDir(t.TempDir()))
	ev := h.wait(t, 10*time.Second, "failed", regIs(RegFailed))
	t.Logf("registration failed: %s", ev.Reason)
	if !strings.Contains(ev.Reason, "expired") {
		t.Errorf("reason %q does not say the certificate expired", ev.Reason)
	}
	if n := k.Log.Count("IN REGISTER"); n != 0 {
		t.Errorf("Kamailio saw %d REGISTERs over a TLS connection with an expired certificate", n)
	}
	waitLogged(t, h, "expired")
}

// TestRegisterPinnedCertificate: with the registrar's certificate pinned
// (its fingerprint as a user reads it off the PBX) and no CA file, the
// account registers over TLS; with another fingerprint pinned it is
// refused, naming the certificate it saw.
func TestRegisterPinnedCertificate(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
	c, err := d.DialContext(ctx, "tcp", k.TLS)
	if err != nil {
		t.Fatal(err)
	}
	seen := Fingerprint(c.(*tls.Conn).ConnectionState().PeerCertificates[0].Raw)
	c.Close()
	other := strings.Repeat("AB:", 31) + "AB"
	for _, tc := range []struct {
		name, pin string
		want      RegState
	}{
		{"pinned", seen, Registered},
		{"other pin", other, RegFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Accounts = []Account{{Registrar: "sips:" + k.TLS, Transport: "tls", User: "door",
				Password: interop.Password, TLSPinSHA256: tc.pin, Expires: time.Minute}}
			h := start(t, cfg, func(u *UA) { u.timing.BackoffBase = time.Hour }, WithStateDir(t.TempDir()))
			ev := h.wait(t, 10*time.Second, "registration", func(e Event) bool {
				return e.Kind == EventRegistration && (e.Reg == Registered || e.Reg == RegFailed)
			})
			if ev.Reg != tc.want {
				t.Fatalf("registration %v (%s), want %v", ev.Reg, ev.Reason, tc.want)
			}
			if tc.want == RegFailed && !strings.Contains(ev.Reason, seen) {
				t.Errorf("reason %q does not name the certificate seen (%s)", ev.Reason, seen)
			}
		})
	}
}

// TestParsePin: the forms of a fingerprint users paste.
func TestParsePin(t *testing.T) {
	hexs := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{hexs, true},
		{"SHA-256 " + strings.ToUpper(strings.Repeat("AB:", 31)) + "AB", true},
		{"sha256 Fingerprint=" + strings.Repeat("AB:", 31) + "AB", true},
		{hexs[:62], false},
		{"zz" + hexs[2:], false},
	} {
		if _, err := parsePin(tc.in); (err == nil) != tc.ok {
			t.Errorf("parsePin(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
