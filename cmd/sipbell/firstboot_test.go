package main

import (
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
)

// TestShippedConfigsLetTheLocalNetworkCall: the configurations a person
// boots first (the gokrazy images', the example the Debian package ships)
// admit a phone on the local network, as the README's first-boot text says
// ("peers call sip:door@<device>:5060"): none of them refuses every call.
func TestShippedConfigsLetTheLocalNetworkCall(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"gokrazy/rpi/sipbell.yaml", "gokrazy/amd64/sipbell.yaml", "configs/sipbell.example.yaml"} {
		t.Run(filepath.Base(filepath.Dir(file)), func(t *testing.T) {
			cfg, err := provisioning.Load(filepath.Join("..", "..", file))
			if err != nil {
				t.Fatal(err)
			}
			if nobodyCanCall(cfg) {
				t.Fatalf("%s: nobody can call a device booted on it", file)
			}
			cfg.SIP.Accounts = nil // a first boot has no PBX yet
			cfg.SIP.Listen = "127.0.0.1:0"
			agent, err := ua.New(cfg.SIP, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			for _, phone := range []string{"192.168.1.20:5060", "10.1.2.3:5060"} {
				if !agent.Admits("", netip.MustParseAddrPort(phone)) {
					t.Errorf("%s: a phone at %s on the local network is refused", file, phone)
				}
			}
		})
	}
}

// TestBinaryWarnsWhenNobodyCanCall: started with no account and nobody
// admitted, the binary says so at start, loudly, with the fix.
func TestBinaryWarnsWhenNobodyCanCall(t *testing.T) {
	t.Parallel()
	p := start(t, nil)
	m := p.await(t, msgNobodyCanCall)
	if m["level"] != "WARN" || m["fix"] == nil {
		t.Fatalf("warning: %v", m)
	}
	p.stop(t)
}
