package device_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// memStore is an AccessStore in memory that counts its saves.
type memStore struct {
	mu    sync.Mutex
	st    device.AccessState
	saves int
}

func (s *memStore) Load() (device.AccessState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, nil
}

func (s *memStore) Save(st device.AccessState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st, s.saves = st, s.saves+1
	return nil
}

// TestAccessGuestCodes: guest codes made by AddGuest open their relays
// from the keypad; a one-time code opens once, also across a restart on
// the same store; a time-limited one stops at its end; the list never
// shows a hash; revoking ends a code; bad requests are refused.
func TestAccessGuestCodes(t *testing.T) {
	t.Parallel()
	store := &memStore{}
	cfg := testConfig()
	cfg.Door.Relays = []device.RelayConfig{{Name: "gate", Pulse: time.Second}}
	withStore := func(d *device.Deps) { d.Access = store }
	r := newRigWith(t, cfg, withStore)
	keys := func(r *rig, s string) {
		for i := range len(s) {
			r.input(device.Input{Kind: device.KeypadKey, Digit: s[i]})
		}
	}
	ctx := r.ctx()
	once, g, err := r.d.AddGuest(ctx, "api:admin", device.GuestRequest{Name: "plumber", Relays: []int{2}, MaxUses: 1})
	if err != nil || len(once) != 8 || g.CodeHash != "" {
		t.Fatalf("AddGuest: %q %+v %v", once, g, err)
	}
	day, _, err := r.d.AddGuest(ctx, "api:admin", device.GuestRequest{Name: "aunt", ValidUntil: r.clk.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []device.GuestRequest{{Name: "aunt", MaxUses: 1}, {Name: "x"}, {Name: "y", MaxUses: 1, Relays: []int{3}},
		{Name: "z", ValidUntil: r.clk.Now().Add(-time.Hour)}} {
		if _, _, err := r.d.AddGuest(ctx, "api:admin", bad); err == nil {
			t.Errorf("AddGuest(%+v) accepted", bad)
		}
	}
	keys(r, once+"#")
	keys(r, once+"#") // used up
	list, err := r.d.Guests(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "aunt" || list[0].CodeHash != "" || list[0].By != "api:admin" {
		t.Fatalf("guests after the one-time use: %+v %v", list, err)
	}
	r.wantSlice("relays", relaySets(r), []string{"relay 2 pulse 1s"})
	r.stop()

	r = newRigWith(t, cfg, withStore) // a restart
	keys(r, once+"#")
	keys(r, day+"#")
	r.advance(24 * time.Hour)
	keys(r, day+"#") // expired
	r.wantSlice("relays", relaySets(r), []string{"relay 1 pulse 3s"})
	day2, _, err := r.d.AddGuest(r.ctx(), "api:admin", device.GuestRequest{Name: "aunt", MaxUses: 3})
	if err != nil {
		t.Fatalf("the expired guest's name is not free: %v", err)
	}
	if err := r.d.RevokeGuest(r.ctx(), "api:admin", "aunt"); err != nil {
		t.Fatal(err)
	}
	if err := r.d.RevokeGuest(r.ctx(), "api:admin", "aunt"); !errors.Is(err, device.ErrGuestUnknown) {
		t.Errorf("second revoke: %v", err)
	}
	keys(r, day2+"#")
	r.wantSlice("relays", relaySets(r), []string{"relay 1 pulse 3s"})
	if st, _ := store.Load(); len(st.Guests) != 0 {
		t.Errorf("stored guests after revoke: %+v", st.Guests)
	}
}
