package device

import "context"

// Sync waits until Run has handled everything queued before it,
// including deadlines that are due on the device's clock.
func (d *Device) Sync(ctx context.Context) error {
	s := make(syncReq)
	if err := d.send(ctx, s); err != nil {
		return err
	}
	select {
	case <-s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return ErrStopped
	}
}
