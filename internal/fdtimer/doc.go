// Package fdtimer waits on Linux timerfds parked in Go's network poller
// instead of on runtime timers, for the waits of an idle process (issue
// 16: an idle device makes at most one context switch a second).
//
// Why: an idle Go process pays for each runtime timer that fires. The
// runtime's monitor thread (sysmon) sleeps until the timer's exact
// deadline, but the thread that is to run the timer waits in epoll_pwait,
// whose timeout the kernel lets run late by its timer slack (0.1 %: 4 ms
// on a 4 s keep-alive, 15 ms on a 15 s watchdog ping). In between, sysmon
// finds the timer due and not yet run and polls every 20 µs: 2 to 40
// context switches per firing, most of an idle device's. A stopped
// runtime timer is no cure: it stays in the runtime's heap (deleted
// lazily) and still wakes sysmon at its old deadline.
//
// A timerfd in the netpoller has no such gap: the kernel wakes the
// netpoll thread when the timerfd expires, no runtime timer is pending
// for sysmon to wait for, and the timerfd is armed and read with raw
// system calls, which do not wake sysmon either (a blocking-style system
// call does).
//
// Timer is a goroutine parked on a timerfd until it fires (once, or every
// period) or is stopped: for the long waits of an idle device. Sleeper is
// a reusable, allocation-free blocking wait on one timerfd: for a paced
// audio frame. Both need Linux; elsewhere New and NewSleeper return an
// error wrapping errors.ErrUnsupported and callers take a runtime timer.
package fdtimer
