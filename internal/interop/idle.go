package interop

import (
	"net"
	"sync"
	"testing"
	"time"
)

// OpenIdle opens n TCP connections to target, 32 at a time, the i-th from
// the loopback address source(i), sends nothing on them, and returns those
// that connected (the rest were refused). They are closed when the test
// ends, if the caller has not closed them before.
func OpenIdle(t testing.TB, target string, n int, source func(i int) net.IP) []net.Conn {
	t.Helper()
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	work := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: source(i)}, Timeout: 5 * time.Second}
				if c, err := d.Dial("tcp", target); err == nil {
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}
