package interop

import (
	"context"
	"fmt"
)

// WaitEventN waits until baresip has sent at least n ctrl_tcp events of
// type typ since it started (for tests that make several calls).
func (b *Baresip) WaitEventN(ctx context.Context, typ string, n int) error {
	for {
		b.mu.Lock()
		got := 0
		for _, e := range b.events {
			if e["type"] == typ {
				got++
			}
		}
		ch := b.changed
		b.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("baresip event %s #%d (seen %d): %w", typ, n, got, ctx.Err())
		}
	}
}
