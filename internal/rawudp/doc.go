// Package rawudp wraps a UDP socket so that its reads and writes are raw,
// non-blocking system calls made from the network poller's readiness
// callbacks, for a socket an idle process still uses now and then (the
// SIP listener: a keep-alive every few seconds).
//
// Why (issue 16: an idle device makes at most one context switch a
// second): every blocking-style system call goes through the runtime's
// entersyscall, which wakes the runtime's monitor thread (sysmon) from its
// deep sleep when it is in one. Woken, sysmon polls every 20 µs until it
// finds every processor idle again: two to five context switches for
// each receive or send after a quiet moment. A keep-alive exchange made a
// dozen such system calls (each receive also ends with one that finds
// nothing more to read). The raw calls here do not enter entersyscall:
// the socket is non-blocking, a call that would block reports EAGAIN and
// the goroutine parks in the poller as net's own would.
//
// Wrap returns a net.PacketConn with the semantics of the *net.UDPConn it
// wraps: deadlines, Close ending a pending read with net.ErrClosed,
// datagrams truncated to the buffer. Elsewhere than on Linux on amd64,
// arm and arm64 it returns the connection itself.
package rawudp
