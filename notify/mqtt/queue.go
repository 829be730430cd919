package mqtt

import "sync"

// queue is a bounded FIFO of publications that drops the oldest.
type queue struct {
	mu      sync.Mutex
	max     int
	items   []msg
	dropped int
	wake    chan struct{}
}

func newQueue(max int) *queue { return &queue{max: max, wake: make(chan struct{}, 1)} }

// push appends m and returns how many were dropped so far (0: none now).
func (q *queue) push(m msg) int {
	q.mu.Lock()
	d := 0
	if len(q.items) >= q.max {
		q.items = q.items[1:]
		q.dropped++
		d = q.dropped
	}
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return d
}

// ready is signalled after a push.
func (q *queue) ready() <-chan struct{} { return q.wake }

func (q *queue) pop() (msg, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return msg{}, false
	}
	m := q.items[0]
	q.items = q.items[1:]
	return m, true
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
