package provisioning

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestAdminConnectionFlood: 1,500 idle connections from 250 loopback
// addresses leave the admin server holding at most its cap of open
// connections, and a person arriving from another address still gets the
// status page. Not parallel: it counts the process's file descriptors.
func TestAdminConnectionFlood(t *testing.T) {
	mgr, _, _ := newTestManager(t, ManagerOptions{})
	a, err := NewAdmin(AdminOptions{Config: AdminConfig{Password: testAdminPW}, StateDir: t.TempDir(),
		Manager: mgr, Status: staticStatus{"version": "flood"}, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	base := openFDs(t)
	const sources, each = 250, 6
	flood := interop.OpenIdle(t, ln.Addr().String(), sources*each, func(i int) net.IP {
		return net.IPv4(127, 0, 1, byte(1+i%sources))
	})
	if len(flood) != sources*each {
		t.Fatalf("only %d of %d connections could be opened", len(flood), sources*each)
	}
	defer func() { // before the server's shutdown, which would wait on them
		for _, c := range flood {
			c.Close()
		}
	}()
	// The server closes what it refuses at once: poll the count down (the
	// header timeout would only close them after 5 s).
	var server int
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if server = openFDs(t) - base - len(flood); server <= adminMaxConns+4 {
			break
		}
	}
	t.Logf("%d idle connections from %d addresses: the admin server holds %d", len(flood), sources, server)
	if server > adminMaxConns+4 {
		t.Fatalf("the admin server holds %d connections, cap %d", server, adminMaxConns)
	}

	// A person from another address gets the page (the flood's idle
	// connections make room once they waited a second).
	client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, 1)}}).DialContext}, Timeout: 2 * time.Second}
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/status", ln.Addr()), nil)
		req.SetBasicAuth("admin", testAdminPW)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		last = err
	}
	t.Fatalf("the admin page stayed out of reach during the flood: %v", last)
}
