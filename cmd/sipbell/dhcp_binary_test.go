package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

const dhcpNetnsEnv = "SIPBELL_DHCP_NETNS"

// TestDHCPInformBinary: sipbell without a provisioning URL and with
// provisioning.dhcp_inform asks the DHCP server itself (DHCPINFORM) and
// fetches its configuration from the URL the server's options give:
// option 160, 66 with 67, or a URL in 43. The server is the real dnsmasq,
// on one end of a veth pair inside a network namespace made for the test;
// sipbell is on the other end.
func TestDHCPInformBinary(t *testing.T) {
	if !inBinaryNetns(t, dhcpNetnsEnv) {
		return
	}
	ipCmd := interop.Need(t, "ip", "iproute2")
	for _, args := range [][]string{
		{"link", "add", "sbdhcp0", "type", "veth", "peer", "name", "sbdhcp1"},
		{"addr", "add", "10.77.0.1/24", "dev", "sbdhcp0"},
		{"addr", "add", "10.77.0.2/24", "dev", "sbdhcp1"},
		{"link", "set", "sbdhcp0", "up"},
		{"link", "set", "sbdhcp1", "up"},
	} {
		if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	// Both ends are in this namespace: packets from one local address to
	// another over the wire are "martians" unless accepted.
	for _, f := range []string{"all/rp_filter", "sbdhcp0/rp_filter", "sbdhcp1/rp_filter", "sbdhcp0/accept_local", "sbdhcp1/accept_local"} {
		v := "0"
		if strings.HasSuffix(f, "accept_local") {
			v = "1"
		}
		if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+f, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "10.77.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	served := make(chan string, 8)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- r.URL.Path
		fmt.Fprintf(w, "sip:\n  listen: 127.0.0.1:0\n  user: door\n  display_name: from %s\n", r.URL.Path)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	base := fmt.Sprintf("http://10.77.0.1:%d", port)
	for _, tc := range []struct {
		name    string
		options []string
		path    string
	}{
		{"option 160", []string{"160," + base + "/p160.yaml"}, "/p160.yaml"},
		{"options 66 and 67", []string{"66," + base, "67,cfg/p66.yaml"}, "/cfg/p66.yaml"},
		{"option 43", []string{"43," + base + "/p43.yaml"}, "/p43.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			extra := []string{"--interface=sbdhcp0", "--dhcp-range=10.77.0.0,static,255.255.255.0",
				"--dhcp-leasefile=" + filepath.Join(dir, "leases"), "--dhcp-authoritative"}
			for _, o := range tc.options {
				extra = append(extra, "--dhcp-option="+o)
			}
			d := interop.StartDnsmasq(t, interop.DnsmasqOptions{Listen: "10.77.0.1", Extra: extra})
			p := startWith(t, nil, "sip:\n  listen: 127.0.0.1:0\n  user: door\nprovisioning:\n  state_dir: "+filepath.Join(dir, "state")+
				"\n  dhcp_inform: sbdhcp1\n  dhcp_lease_files: []\n  admin:\n    listen: \"\"\n")
			m := p.await(t, "DHCP options")
			if m["provisioning_url"] != base+tc.path {
				t.Errorf("DHCP options %v, want the URL %s", m, base+tc.path)
			}
			select {
			case got := <-served:
				if got != tc.path {
					t.Errorf("fetched %s, want %s", got, tc.path)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the URL from DHCP was never fetched; dnsmasq:\n%s", d.Log)
			}
			for {
				m := p.await(t, "configuration")
				if m["outcome"] == "applied" {
					if src, _ := m["source"].(string); !strings.Contains(src, "pull (dhcp) "+base+tc.path) {
						t.Errorf("applied from %q, want pull (dhcp) %s", src, base+tc.path)
					}
					break
				}
			}
			if !strings.Contains(d.Log.String(), "DHCPINFORM(sbdhcp0) 10.77.0.2") {
				t.Errorf("dnsmasq saw no DHCPINFORM from sipbell:\n%s", d.Log)
			}
			p.stop(t)
			d.Stop()
		})
	}
}
