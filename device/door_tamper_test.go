package device_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestTamper: the housing opened raises the tamper event once, cuts a
// pulse short and blocks every opening (code, API) for door.tamper_block,
// also after the housing is closed again; then the door opens again.
func TestTamper(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Door.TamperBlock = 10 * time.Minute
	r := newRig(t, cfg)
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second)
	r.input(device.Input{Kind: device.TamperOn})
	r.input(device.Input{Kind: device.TamperOn}) // a repeated edge
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); !errors.Is(err, device.ErrTamperBlocked) {
		t.Fatalf("open while blocked: %v, want ErrTamperBlocked", err)
	}
	r.advance(time.Minute)
	r.input(device.Input{Kind: device.TamperOff})
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); !errors.Is(err, device.ErrTamperBlocked) {
		t.Fatalf("open after the housing closed, still in the block: %v", err)
	}
	r.advance(9 * time.Minute)
	if err := r.d.OpenDoor(r.ctx(), "api:admin"); err != nil {
		t.Fatalf("open after the block: %v", err)
	}
	r.sync()
	r.wantSlice("events", r.eventStrings(), []string{"door-opened by api:admin", "tamper", "tamper-cleared",
		"door-opened by api:admin"})
	r.wantSlice("relay patterns", r.out.Patterns(device.DoorRelay), []string{"pulse 3s", "off", "pulse 3s"})
}
