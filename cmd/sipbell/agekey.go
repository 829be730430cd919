package main

import (
	"log/slog"
	"path/filepath"

	"github.com/sipbell/sipbell/provisioning"
)

// deviceAgeIdentity loads the device's age identity from the state dir,
// making it on first start, and logs its public recipient (never the
// secret). A key file that cannot be read is logged and nil returned:
// the device runs on, refusing encrypted files, rather than not start.
func deviceAgeIdentity(stateDir string, log *slog.Logger) *provisioning.AgeIdentity {
	path := filepath.Join(stateDir, provisioning.AgeKeyFile)
	id, made, err := provisioning.LoadOrCreateAgeIdentity(path)
	if err != nil {
		log.Error("age identity not available: encrypted provisioning files are refused", "err", err)
		return nil
	}
	msg := "age identity: encrypt provisioning files to this recipient (age -r)"
	if made {
		msg = "age identity made: encrypt provisioning files to this recipient (age -r)"
	}
	log.Info(msg, "recipient", id.Recipient(), "file", path)
	return id
}
