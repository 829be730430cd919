package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sipbell/sipbell/provisioning"
)

// dhcpInformRetry bounds how soon an unanswered DHCPINFORM is repeated.
const dhcpInformRetry = time.Minute

// runDHCPInform asks the DHCP server on ifname for the provisioning
// options (provisioning.dhcp_inform) at start and hourly, keeps the answer
// in the state dir where pull provisioning reads it, and asks pull
// provisioning to fetch when the answer changed.
func runDHCPInform(ctx context.Context, ifname, stateDir string, resync func(), log *slog.Logger) error {
	log = log.With("component", "dhcp", "interface", ifname)
	path := filepath.Join(stateDir, provisioning.DHCPInformFile)
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ack, err := provisioning.DHCPInform(actx, ifname)
		cancel()
		wait := provisioning.DHCPInformInterval
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("DHCPINFORM unanswered; trying again", "err", err, "in", dhcpInformRetry)
			wait = dhcpInformRetry
		default:
			old, _ := os.ReadFile(path)
			if !bytes.Equal(old, ack) {
				if err := provisioning.WriteFileAtomic(path, ack, 0o600); err != nil {
					log.Error("DHCP options not kept", "err", err)
				}
				opts := provisioning.ParseLease(ack)
				log.Info("DHCP options", "provisioning_url", opts.URL(), "option_160", opts.ProvURL,
					"option_66", opts.TFTPServer, "option_67", opts.Bootfile, "option_43", opts.Vendor)
				resync()
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
