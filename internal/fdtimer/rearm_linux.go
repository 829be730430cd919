package fdtimer

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Rearm is a one-shot timer on one timerfd that is armed again and again
// for the same wait (a registration's keep-alive, say) and closed when
// its owner is done: one goroutine parked in the netpoller for its whole
// life. A Timer per wait closes a timerfd per wait, and close(2) is a
// blocking-style system call: it wakes the runtime's sysmon, which then
// polls until every processor is idle again. Arming, disarming and
// reading a Rearm are raw system calls only.
type Rearm struct {
	f  *os.File
	fd uintptr
	c  chan time.Time

	mu     sync.Mutex
	armed  bool // armed and not yet delivered
	closed bool
	done   chan struct{}
}

// NewRearm makes a disarmed Rearm. Close it when done with it.
func NewRearm() (*Rearm, error) {
	f, rc, err := open("a re-armed timer", nil)
	if err != nil {
		return nil, err
	}
	t := &Rearm{f: f, c: make(chan time.Time, 1), done: make(chan struct{})}
	if err := rc.Control(func(fd uintptr) { t.fd = fd }); err != nil {
		f.Close()
		return nil, fmt.Errorf("fdtimer: a re-armed timer: %w", err)
	}
	go t.wait(rc)
	return t, nil
}

// wait delivers each expiry of the current arming on c until Close. The
// expiry is read and delivered under mu, so that Reset and Stop, which
// clear any pending expiry when they set the time, never see an old
// arming's expiry delivered after them.
func (t *Rearm) wait(rc syscall.RawConn) {
	defer close(t.done)
	var n uint64
	for {
		err := rc.Read(func(fd uintptr) bool {
			t.mu.Lock()
			defer t.mu.Unlock()
			e := readExpiry(fd, &n)
			if e == 0 && t.armed {
				t.armed = false
				select {
				case t.c <- time.Now():
				default: // cannot be: Reset drained it
				}
			}
			return e != unix.EAGAIN && e != unix.EINTR
		})
		if err != nil {
			return // closed
		}
	}
}

// C delivers the expiry of the current arming.
func (t *Rearm) C() <-chan time.Time { return t.c }

// Reset arms the timer to fire once after d (at once when d <= 0); an
// expiry of an earlier arming not yet received is dropped.
func (t *Rearm) Reset(d time.Duration) {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(d, time.Nanosecond).Nanoseconds())}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.drainLocked()
	setTime(t.fd, &spec) // clears a pending expiry too
	t.armed = true
}

// Stop disarms the timer and reports whether that kept it from firing.
func (t *Rearm) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.armed
	t.armed = false
	if !t.closed {
		setTime(t.fd, &unix.ItimerSpec{})
	}
	t.drainLocked()
	return was
}

func (t *Rearm) drainLocked() {
	select {
	case <-t.c:
	default:
	}
}

// Close stops the timer for good and ends its goroutine.
func (t *Rearm) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed, t.armed = true, false
	t.mu.Unlock()
	err := t.f.Close() // ends wait's Read
	<-t.done
	return err
}
