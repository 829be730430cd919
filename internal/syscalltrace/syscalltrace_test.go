package syscalltrace

import (
	"syscall"
	"testing"
)

// TestCount: a blocking-style system call is counted, in the counted
// goroutine and in one it creates; plain Go code counts none.
func TestCount(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		min  int
		max  int
	}{
		{"none", func() {
			s := 0
			for i := range 1000 {
				s += i
			}
			_ = s
		}, 0, 0},
		{"blocking-style and raw", func() {
			for range 5 {
				syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)    // counted
				syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0) // not
			}
		}, 5, 5},
		{"in a goroutine it creates", func() {
			done := make(chan struct{})
			go func() { defer close(done); syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0) }()
			<-done
		}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Count(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if n < tc.min || n > tc.max {
				t.Fatalf("%d system calls counted, want %d..%d", n, tc.min, tc.max)
			}
		})
	}
}

// TestProcess: a blocking-style call of another goroutine is listed with
// its stack; a raw one is not.
func TestProcess(t *testing.T) {
	calls, err := Process(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			blockingGetppid()
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}()
		<-done
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range calls {
		if c.Has("syscalltrace.blockingGetppid") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d calls with blockingGetppid on the stack, want 1; all: %v", n, calls)
	}
}

//go:noinline
func blockingGetppid() { syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0) }
