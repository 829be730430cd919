package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sipbell/sipbell/provisioning"
)

func TestCPUInfoSerial(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"processor\t: 0\nHardware\t: BCM2835\nSerial\t\t: 00000000a1b2c3d4\nModel\t\t: Raspberry Pi Zero W\n", "00000000a1b2c3d4"},
		{"processor\t: 0\n", ""},
	} {
		if got := cpuinfoSerial(tc.in); got != tc.want {
			t.Errorf("cpuinfoSerial = %q, want %q", got, tc.want)
		}
	}
	if id := deviceIdentity("sim"); len(id.MAC) != 6 || id.Model != "sim" {
		t.Errorf("identity %+v", id)
	}
}

// TestProvisioningWiring starts the provisioning parts as serve would:
// pull applies through the Applier, a change of the provisioning section
// reaches the puller, and the admin UI answers over HTTPS with the
// self-signed certificate made in the state dir.
func TestProvisioningWiring(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	files := map[string]string{"/" + strings.ReplaceAll(primaryMAC().String(), ":", "") + ".yaml": "sip:\n  user: pulled\n"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	defer srv.Close()

	dir := t.TempDir()
	sec := provisioning.DefaultConfig()
	sec.URL, sec.DHCPLeaseFiles, sec.StateDir = srv.URL+"/{mac}.yaml", nil, filepath.Join(dir, "state")
	sec.Admin.Listen, sec.Admin.Password = "127.0.0.1:0", "wiring-test-pw"
	applied := make(chan provisioning.File, 4)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := newProvisioning(provisioningWiring{
		ConfigPath: filepath.Join(dir, "sipbell.yaml"), Section: sec, Running: provisioning.Default(),
		Applier: provisioning.ApplierFunc(func(ctx context.Context, f provisioning.File) error { applied <- f; return nil }),
		Model:   "sim",
		SectionOf: func(provisioning.File) provisioning.Config {
			c := sec
			c.URL = srv.URL + "/second.yaml"
			return c
		},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range p.Runs {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	if f := <-applied; f.SIP.User != "pulled" {
		t.Fatalf("applied %+v", f.SIP)
	}
	// The applied file changed the provisioning section: the next sync
	// uses the new URL.
	mu.Lock()
	files["/second.yaml"] = "sip:\n  user: second\n"
	mu.Unlock()
	p.Puller.SyncNow()
	if f := <-applied; f.SIP.User != "second" {
		t.Fatalf("applied %+v", f.SIP)
	}

	pem, err := os.ReadFile(filepath.Join(sec.StateDir, provisioning.SelfSignedCertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	req, _ := http.NewRequest("GET", "https://"+p.AdminAddr.String()+"/api/status", nil)
	req.SetBasicAuth("admin", "wiring-test-pw")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "second.yaml") {
		t.Fatalf("status %d %s", res.StatusCode, body)
	}
}
