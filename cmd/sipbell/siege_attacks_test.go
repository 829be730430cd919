package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/internal/interop"
)

// The attacks of TestSiege. Each source range 127.0.<subnet>.x is an
// attack's own, so that one attack's blocked sources do not muffle the
// next.

// udpCrowd is a set of UDP sockets on 127.0.<subnet>.1..n, all talking to
// one address, counting the answers they get.
type udpCrowd struct {
	conns    []*net.UDPConn
	answered atomic.Int64
}

func newUDPCrowd(t *testing.T, target string, subnet byte, n int) *udpCrowd {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	c := &udpCrowd{}
	for i := range n {
		u, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, subnet, byte(i+1))}, raddr)
		if err != nil {
			t.Fatalf("crowd source 127.0.%d.%d: %v", subnet, i+1, err)
		}
		c.conns = append(c.conns, u)
		go func() {
			buf := make([]byte, 8192)
			for {
				if _, err := u.Read(buf); err != nil {
					return
				}
				c.answered.Add(1)
			}
		}()
	}
	return c
}

// send sends msg(n, local address) round robin over the sockets at rate
// per second until ctx ends, and returns how many it sent. underway is
// closed after the first half second's worth.
func (c *udpCrowd) send(ctx context.Context, rate int, underway chan<- struct{}, msg func(n int, local string) string) int {
	begin, sent := time.Now(), 0
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return sent
		case <-tick.C:
		}
		for want := int(time.Since(begin).Seconds() * float64(rate)); sent < want; sent++ {
			u := c.conns[sent%len(c.conns)]
			u.Write([]byte(msg(sent, u.LocalAddr().String())))
			if sent == rate/2 {
				close(underway)
			}
		}
	}
}

// close waits until answers stop coming, closes the sockets and returns
// the answers counted.
func (c *udpCrowd) close() int64 {
	for prev := int64(-1); c.answered.Load() != prev; {
		prev = c.answered.Load()
		time.Sleep(300 * time.Millisecond)
	}
	for _, u := range c.conns {
		u.Close()
	}
	return c.answered.Load()
}

// floodAttack floods sipbell with method requests at 1,000/s from 20
// sources.
func floodAttack(method string, subnet byte) func(t *testing.T, r *siegeRig) siegeRun {
	return func(t *testing.T, r *siegeRig) siegeRun {
		crowd := newUDPCrowd(t, r.udp, subnet, 20)
		ctx, cancel := context.WithCancel(context.Background())
		underway, sent := make(chan struct{}), make(chan int, 1)
		begin := time.Now()
		go func() {
			sent <- crowd.send(ctx, 1000, underway, func(n int, local string) string {
				return floodRequest(method, r.udp, local, n)
			})
		}()
		<-underway
		return siegeRun{stop: func() string {
			cancel()
			n := <-sent
			wall := time.Since(begin)
			answered := crowd.close()
			// The guard cuts the crowd to the global budget (default 400 at
			// once, then 200/s); the rest is dropped before any parsing.
			if budget := int64(400 + 200*wall.Seconds() + 50); answered > budget {
				t.Errorf("%s flood: %d of %d requests answered in %v, want at most %d (the global budget)",
					method, answered, n, wall.Round(time.Millisecond), budget)
			}
			return fmt.Sprintf("%d %s sent from 20 sources, %d answered", n, method, answered)
		}}
	}
}

// scannerAttack sweeps extensions 100, 101, ... with OPTIONS and INVITE
// carrying sipvicious's User-Agent, at 1,000/s from 5 sources. The
// guard drops scanners unanswered: not one answer may come back.
func scannerAttack(subnet byte) func(t *testing.T, r *siegeRig) siegeRun {
	return func(t *testing.T, r *siegeRig) siegeRun {
		crowd := newUDPCrowd(t, r.udp, subnet, 5)
		ctx, cancel := context.WithCancel(context.Background())
		underway, sent := make(chan struct{}), make(chan int, 1)
		host, _, _ := net.SplitHostPort(r.udp)
		go func() {
			sent <- crowd.send(ctx, 1000, underway, func(n int, local string) string {
				method := [2]string{"OPTIONS", "INVITE"}[n%2]
				return fmt.Sprintf("%s sip:%d@%s SIP/2.0\r\n"+
					"Via: SIP/2.0/UDP %s;branch=z9hG4bK-scan-%d;rport\r\n"+
					"Max-Forwards: 70\r\n"+
					"From: \"sipvicious\" <sip:100@1.1.1.1>;tag=s%d\r\n"+
					"To: \"sipvicious\" <sip:%d@%s>\r\n"+
					"Call-ID: scan-%d\r\n"+
					"CSeq: 1 %s\r\n"+
					"Contact: <sip:100@%s>\r\n"+
					"Accept: application/sdp\r\n"+
					"User-Agent: friendly-scanner\r\n"+
					"Content-Length: 0\r\n\r\n",
					method, 100+n/2, host, local, n, n, 100+n/2, host, n, method, local)
			})
		}()
		<-underway
		return siegeRun{stop: func() string {
			cancel()
			n := <-sent
			answered := crowd.close()
			if answered != 0 {
				t.Errorf("friendly-scanner sweep: %d of %d requests answered, want none (dropped unanswered)", answered, n)
			}
			return fmt.Sprintf("%d OPTIONS/INVITE swept over extensions 100-%d from 5 sources, %d answered", n, 100+n/2, answered)
		}}
	}
}

// idleTCPAttack opens n connections to sipbell's SIP TCP port, n/sources
// from each of sources addresses, and leaves them idle.
func idleTCPAttack(n, sources int, subnet byte) func(t *testing.T, r *siegeRig) siegeRun {
	return func(t *testing.T, r *siegeRig) siegeRun {
		pid := r.p.cmd.Process.Pid
		fdsBefore := countFDs(pid)
		var closedBySipbell atomic.Int64
		conns := interop.OpenIdle(t, r.tcp, n, func(i int) net.IP { return net.IPv4(127, 0, subnet, byte(i%sources+1)) })
		refused := n - len(conns)
		for _, c := range conns {
			go func() { // counts the connections sipbell closes
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						closedBySipbell.Add(1)
						return
					}
				}
			}()
		}
		fdsDuring := countFDs(pid)
		return siegeRun{stop: func() string {
			byPeer := closedBySipbell.Load()
			for _, c := range conns {
				c.Close()
			}
			// The connection caps held: sipbell did not keep them all.
			if fdsDuring >= n/2 {
				t.Errorf("%d idle TCP connections: sipbell held %d file descriptors, want the connection caps to bound them", n, fdsDuring)
			}
			return fmt.Sprintf("%d connections from %d sources: %d established (%d of them closed by sipbell before the end), %d refused; sipbell's fds %d before, %d with them open",
				n, sources, len(conns), byPeer, refused, fdsBefore, fdsDuring)
		}}
	}
}

// identityAttack is issue 13's items 1 and 2 during the call: an INVITE
// through Kamailio whose From (and a P-Asserted-Identity it writes
// itself) says alice, the caller door.allowed lists, but of a foreign
// domain Kamailio relays without a challenge; and an INVITE to
// sip:100@1.1.1.1 from Kamailio's address but another port (svmap's
// probe). Neither may be answered, nor open the door; the second is
// refused 403 (no registrar, no caller) before anything else.
func identityAttack(t *testing.T, r *siegeRig) siegeRun {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opened := len(r.p.matching("door opened", nil))
	forger := newSIPCaller(t, "127.0.0.1")
	door := sip.Uri{Scheme: "sip", User: "door", Host: r.k.Domain, Port: r.k.Port}
	evil := sip.Uri{Scheme: "sip", User: "alice", Host: "evil.example"}
	forgedDlg, forged := forger.invite(ctx, t, door, evil, r.k.UDP, "", "",
		sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:alice@%s>", r.k.UDP)))
	if forgedDlg != nil {
		infoDigit(ctx, t, forgedDlg, "#")
		t.Errorf("forged From through Kamailio: answered (%d)", forged)
	}
	host, _, _ := net.SplitHostPort(r.k.UDP)
	scanner := newSIPCaller(t, host)
	probe := sip.Uri{Scheme: "sip", User: "100", Host: "1.1.1.1"}
	probeDlg, wrongPort := scanner.invite(ctx, t, probe, probe, r.udp, "", "")
	if probeDlg != nil || wrongPort != 403 {
		t.Errorf("INVITE from %s:%d (Kamailio is %s): answered %d, want 403", host, scanner.port, r.k.UDP, wrongPort)
	}
	return siegeRun{stop: func() string {
		if n := len(r.p.matching("door opened", nil)); n != opened {
			t.Errorf("the door opened %d times during the identity attacks", n-opened)
		}
		return fmt.Sprintf("forged From through Kamailio answered %d, not opened; INVITE from Kamailio's address, port %d, answered %d",
			forged, scanner.port, wrongPort)
	}}
}

// kamailioRestart restarts Kamailio at once, which loses its location
// table, and measures how long each of sipbell's registrations (UDP and
// TCP) takes to reach the new Kamailio; the call is judged until both
// have.
func kamailioRestart(t *testing.T, r *siegeRig) siegeRun {
	t0 := time.Now()
	r.k.Restart(t) // returns once the new Kamailio answers OPTIONS
	back := time.Now()
	regs := make([]string, len(siegeUsers))
	return siegeRun{
		settle: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for i, user := range siegeUsers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// The new Kamailio holding the binding proves a REGISTER
					// reached it; sipbell's own "registered" line says when.
					if _, err := r.k.WaitContacts(ctx, user, 1); err != nil {
						regs[i] = fmt.Sprintf("%s: no binding %v after Kamailio was back", user, time.Since(back).Round(time.Millisecond))
						t.Errorf("Kamailio restart: sipbell did not register again as %s: %v", user, err)
						return
					}
					regs[i] = fmt.Sprintf("%s registered again %v after Kamailio was back (binding seen by kamcmd after %v)",
						user, r.registeredAfter(t, user, t0).Sub(back).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
				}()
			}
			wg.Wait()
		},
		stop: func() string {
			return fmt.Sprintf("Kamailio down and up again in %v; %s (door over UDP, bob over TCP; shipped keep-alive)",
				back.Sub(t0).Round(time.Millisecond), strings.Join(regs, ", "))
		},
	}
}

// registeredAfter is the time of sipbell's first "registered" log line
// for user's account after since.
func (r *siegeRig) registeredAfter(t *testing.T, user string, since time.Time) time.Time {
	t.Helper()
	for _, m := range r.p.matching("registered", nil) {
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"]))
		if err == nil && at.After(since) && strings.Contains(fmt.Sprint(m["account"]), user+"@") {
			return at
		}
	}
	t.Errorf("Kamailio restart: Kamailio has a binding for %s, but sipbell logged no registration after %s", user, since.Format("15:04:05.000"))
	return time.Time{}
}

// raiseFDLimit raises the test process's soft file descriptor limit to
// its hard limit: 10,000 idle connections need as many.
func raiseFDLimit(t *testing.T) {
	t.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatalf("setrlimit RLIMIT_NOFILE %d: %v", l.Max, err)
	}
	if l.Cur < 12000 {
		t.Fatalf("RLIMIT_NOFILE hard limit %d: the siege needs 12,000 (10,000 idle connections)", l.Max)
	}
}

// countFDs is how many file descriptors pid has open.
func countFDs(pid int) int {
	es, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(es)
}
