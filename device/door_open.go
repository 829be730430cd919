package device

import (
	"context"
	"errors"
	"fmt"
)

// This file opens relay N on request (MQTT, Home Assistant, the API).

// ErrNoRelay is a request for a relay the door does not have.
var ErrNoRelay = errors.New("no such relay")

// openRelayReq asks the door to pulse one relay for who.
type openRelayReq struct {
	who   string
	relay int // 1 is the first
	reply chan error
}

// run pulses the relay on the door station.
func (r openRelayReq) run(ctx context.Context, m machine) {
	d, ok := m.(*door)
	if !ok {
		r.reply <- ErrNotDoor
		return
	}
	if n := 1 + len(d.cfg.Door.Relays); r.relay < 1 || r.relay > n {
		r.reply <- fmt.Errorf("%w: %d (relays 1 to %d)", ErrNoRelay, r.relay, n)
		return
	}
	r.reply <- d.openRelay(ctx, r.relay-1, r.who, "")
}

// OpenRelay pulses relay (1 is the first, the door; door.relays follow)
// for who ("mqtt:<user>", "api:<user>"), as a right code for it would,
// and returns once the relay was set, or why not (ErrNoRelay, a tamper
// block).
func (d *Device) OpenRelay(ctx context.Context, who string, relay int) error {
	req := openRelayReq{who: who, relay: relay, reply: make(chan error, 1)}
	if err := d.send(ctx, req); err != nil {
		return fmt.Errorf("device: open relay %d for %s: %w", relay, who, err)
	}
	select {
	case err := <-req.reply:
		if err != nil {
			return fmt.Errorf("device: open relay %d for %s: %w", relay, who, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device: open relay %d for %s: %w", relay, who, ctx.Err())
	case <-d.done:
		return fmt.Errorf("device: open relay %d for %s: %w", relay, who, ErrStopped)
	}
}
