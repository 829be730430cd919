// Package netrelay is a UDP relay for tests: it stands between two
// loopback endpoints and impairs each direction with seeded delay,
// jitter, reordering, duplication and loss, so media code can be tested
// against a bad network reproducibly.
//
// Endpoint A sends to AddrForA and receives from it; endpoint B likewise
// with AddrForB. Packets are forwarded from the other side's socket, so
// each endpoint sees the relay as its peer (symmetric RTP latches onto it).
package netrelay

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Impairment describes what happens to packets in one direction.
type Impairment struct {
	Delay     time.Duration // fixed one-way delay
	Jitter    time.Duration // extra delay, uniform in [0, Jitter)
	Loss      float64       // probability a packet is dropped
	Duplicate float64       // probability a packet is sent twice
	Reorder   float64       // probability a packet is held back an extra ReorderBy
	ReorderBy time.Duration // default 3 × 20 ms
}

// Config configures a Relay.
type Config struct {
	AtoB, BtoA Impairment
	Seed       uint64 // seeds both directions' random decisions
	// Manual runs the relay on virtual time: packets are stamped with the
	// virtual clock when they arrive and leave only when the test calls
	// Advance, so delays and reordering do not depend on the scheduler.
	Manual bool
}

// DirStats counts one direction's packets.
type DirStats struct {
	Received, Forwarded, Dropped, Duplicated, Reordered int
}

// Relay forwards and impairs UDP packets between two endpoints.
type Relay struct {
	sockA, sockB *net.UDPConn // A talks to sockA, B to sockB
	a, b         netip.AddrPort
	dirs         [2]*direction
	wg           sync.WaitGroup
	cancel       context.CancelFunc
	once         sync.Once
	manual       bool
	vmu          sync.Mutex
	vnow         time.Time // virtual time (Manual)
}

type direction struct {
	imp   Impairment
	rng   *rand.Rand
	out   *net.UDPConn
	to    netip.AddrPort
	mu    sync.Mutex
	queue pktHeap
	wake  chan struct{}
	stats DirStats
	seq   uint64
}

// New starts a relay between a and b on two fresh loopback sockets. Stop
// it with Close.
func New(cfg Config, a, b netip.AddrPort) (*Relay, error) {
	sa, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("netrelay: listen: %w", err)
	}
	sb, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		sa.Close()
		return nil, fmt.Errorf("netrelay: listen: %w", err)
	}
	r := &Relay{sockA: sa, sockB: sb, a: a, b: b, manual: cfg.Manual, vnow: time.Unix(0, 0)}
	newDir := func(imp Impairment, stream uint64, out *net.UDPConn, to netip.AddrPort) *direction {
		if imp.ReorderBy == 0 {
			imp.ReorderBy = 60 * time.Millisecond
		}
		return &direction{imp: imp, rng: rand.New(rand.NewPCG(cfg.Seed, stream)), out: out, to: to, wake: make(chan struct{}, 1)}
	}
	r.dirs[0] = newDir(cfg.AtoB, 1, sb, b)
	r.dirs[1] = newDir(cfg.BtoA, 2, sa, a)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(2)
	go r.read(sa, a, r.dirs[0])
	go r.read(sb, b, r.dirs[1])
	if !r.manual {
		r.wg.Add(2)
		go r.dirs[0].deliver(ctx, &r.wg)
		go r.dirs[1].deliver(ctx, &r.wg)
	}
	return r, nil
}

// now returns the relay's time: virtual with Manual, else the wall clock.
func (r *Relay) now() time.Time {
	if !r.manual {
		return time.Now()
	}
	r.vmu.Lock()
	defer r.vmu.Unlock()
	return r.vnow
}

// Advance moves a Manual relay's virtual clock forward by d and sends
// every packet that has become due, in due order; it returns how many it
// sent. Packets arriving meanwhile are stamped with the new time.
func (r *Relay) Advance(d time.Duration) int {
	r.vmu.Lock()
	r.vnow = r.vnow.Add(d)
	now := r.vnow
	r.vmu.Unlock()
	n := 0
	for _, dir := range r.dirs {
		for _, q := range dir.due(now) {
			_, _ = dir.out.WriteToUDPAddrPort(q.data, dir.to)
			n++
		}
	}
	return n
}

// AddrForA is where endpoint A sends (the relay's stand-in for B).
func (r *Relay) AddrForA() netip.AddrPort { return r.sockA.LocalAddr().(*net.UDPAddr).AddrPort() }

// AddrForB is where endpoint B sends (the relay's stand-in for A).
func (r *Relay) AddrForB() netip.AddrPort { return r.sockB.LocalAddr().(*net.UDPAddr).AddrPort() }

// Stats returns the counters of the A→B and B→A directions.
func (r *Relay) Stats() (aToB, bToA DirStats) {
	get := func(d *direction) DirStats {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.stats
	}
	return get(r.dirs[0]), get(r.dirs[1])
}

// Close stops the relay and waits for its goroutines.
func (r *Relay) Close() error {
	var err error
	r.once.Do(func() {
		r.cancel()
		err = errors.Join(r.sockA.Close(), r.sockB.Close())
		r.wg.Wait()
	})
	return err
}

// read takes packets from one socket, accepting only the expected
// endpoint, and schedules them in direction d.
func (r *Relay) read(c *net.UDPConn, from netip.AddrPort, d *direction) {
	defer r.wg.Done()
	for {
		buf := make([]byte, 2048)
		n, src, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if netip.AddrPortFrom(src.Addr().Unmap(), src.Port()) != from {
			continue
		}
		d.schedule(buf[:n], r.now())
	}
}

// schedule applies the impairment to one packet.
func (d *direction) schedule(p []byte, now time.Time) {
	d.mu.Lock()
	d.stats.Received++
	imp := d.imp
	lost := d.rng.Float64() < imp.Loss
	dup := d.rng.Float64() < imp.Duplicate
	reorder := d.rng.Float64() < imp.Reorder
	delay := func() time.Duration {
		j := imp.Delay
		if imp.Jitter > 0 {
			j += time.Duration(d.rng.Int64N(int64(imp.Jitter)))
		}
		return j
	}
	switch {
	case lost:
		d.stats.Dropped++
	default:
		at := now.Add(delay())
		if reorder {
			at = at.Add(imp.ReorderBy)
			d.stats.Reordered++
		}
		d.push(p, at)
		if dup {
			d.stats.Duplicated++
			d.push(p, now.Add(delay()))
		}
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *direction) push(p []byte, at time.Time) {
	d.seq++
	heap.Push(&d.queue, &queued{at: at, seq: d.seq, data: p})
}

// deliver sends queued packets when they are due.
func (d *direction) deliver(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		due := d.due(now)
		d.mu.Lock()
		wait := time.Hour
		if len(d.queue) > 0 {
			wait = d.queue[0].at.Sub(now)
		}
		d.mu.Unlock()
		for _, q := range due {
			_, _ = d.out.WriteToUDPAddrPort(q.data, d.to)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// due takes the packets due at now off the queue and counts them as
// forwarded.
func (d *direction) due(now time.Time) []*queued {
	d.mu.Lock()
	defer d.mu.Unlock()
	var due []*queued
	for len(d.queue) > 0 && !d.queue[0].at.After(now) {
		due = append(due, heap.Pop(&d.queue).(*queued))
	}
	d.stats.Forwarded += len(due)
	return due
}

type queued struct {
	at   time.Time
	seq  uint64
	data []byte
}

// pktHeap orders packets by due time, then by arrival.
type pktHeap []*queued

func (h pktHeap) Len() int { return len(h) }
func (h pktHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h pktHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pktHeap) Push(x any)   { *h = append(*h, x.(*queued)) }
func (h *pktHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
