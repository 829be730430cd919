package notify

import (
	"context"
	"sync"
)

// queue is a bounded FIFO that drops its oldest item when full.
type queue struct {
	mu      sync.Mutex
	items   []Payload
	max     int
	dropped int // since the last report
	signal  chan struct{}
}

func newQueue(max int) *queue { return &queue{max: max, signal: make(chan struct{}, 1)} }

// push adds p, dropping the oldest item when full; it returns how many
// items were dropped since the last push that reported drops.
func (q *queue) push(p Payload) (dropped int) {
	q.mu.Lock()
	if len(q.items) >= q.max {
		q.items[0] = Payload{}
		q.items = q.items[1:]
		q.dropped++
		dropped = q.dropped
	}
	q.items = append(q.items, p)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return dropped
}

// takeDropped returns and resets the drop count.
func (q *queue) takeDropped() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.dropped
	q.dropped = 0
	return n
}

// pop waits for the oldest item; false when ctx is done.
func (q *queue) pop(ctx context.Context) (Payload, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			p := q.items[0]
			q.items[0] = Payload{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return p, true
		}
		q.mu.Unlock()
		select {
		case <-q.signal:
		case <-ctx.Done():
			return Payload{}, false
		}
	}
}

// len returns the number of waiting items.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
