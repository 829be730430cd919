package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/provisioning"
)

// accessFile is where the door's guest codes (hashed) and code uses are
// kept in the state directory.
const accessFile = "access.json"

// maxAccessFile bounds the file read back: 16 guests are a few KiB.
const maxAccessFile = 256 << 10

// accessStore is the device.AccessStore of a state directory.
type accessStore struct{ path string }

// newAccessStore returns the store in stateDir, nil (in memory) without one.
func newAccessStore(stateDir string) device.AccessStore {
	if stateDir == "" {
		return nil
	}
	return accessStore{path: filepath.Join(stateDir, accessFile)}
}

// Load reads the stored state; no file is an empty state.
func (s accessStore) Load() (device.AccessState, error) {
	var st device.AccessState
	if _, err := provisioning.ReadStateJSON(s.path, maxAccessFile, &st); err != nil {
		return device.AccessState{}, fmt.Errorf("read door codes: %w", err)
	}
	return st, nil
}

// Save replaces the file atomically.
func (s accessStore) Save(st device.AccessState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save door codes %s: %w", s.path, err)
	}
	return provisioning.WriteFileAtomic(s.path, b, 0o600)
}

// door is the current core's door station, for the guest codes.
func (x actions) door() (*device.Device, error) {
	c, err := x.current()
	if err != nil {
		return nil, err
	}
	if c.door == nil {
		return nil, errNoDoor
	}
	return c.door, nil
}

// Guests lists the door's guest codes (provisioning.GuestCodes).
func (x actions) Guests(ctx context.Context) ([]device.Guest, error) {
	d, err := x.door()
	if err != nil {
		return nil, err
	}
	return d.Guests(ctx)
}

// AddGuest creates a guest code.
func (x actions) AddGuest(ctx context.Context, who string, r device.GuestRequest) (string, device.Guest, error) {
	d, err := x.door()
	if err != nil {
		return "", device.Guest{}, err
	}
	return d.AddGuest(ctx, who, r)
}

// RevokeGuest revokes a guest code.
func (x actions) RevokeGuest(ctx context.Context, who, name string) error {
	d, err := x.door()
	if err != nil {
		return err
	}
	return d.RevokeGuest(ctx, who, name)
}
