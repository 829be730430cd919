// Package syscalltrace counts, for tests, the system calls a piece of
// code makes through the runtime's entersyscall (blocking-style calls:
// syscall.Syscall, os.File, net's sockets), as opposed to raw ones. In an
// idle process each such call wakes the runtime's sysmon from its deep
// sleep, and a woken sysmon polls every 20 µs until every processor is
// idle again (issue 16): packages that promise raw calls only prove it
// with Count. It reads the execution trace with golang.org/x/exp/trace.
package syscalltrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	rtrace "runtime/trace"
	"strings"

	"golang.org/x/exp/trace"
)

// Count runs f on a goroutine of its own under the execution tracer and
// returns how many times that goroutine, or one it created, entered a
// system call. The trace is the process's: run it from a test that is not
// parallel with other tracing.
func Count(f func()) (int, error) {
	var out bytes.Buffer
	if err := rtrace.Start(&out); err != nil {
		return 0, fmt.Errorf("syscalltrace: start the trace: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rtrace.Log(context.Background(), "syscalltrace", "counted")
		f()
	}()
	<-done
	rtrace.Stop()
	return count(&out)
}

// count reads the trace and counts the marked goroutines' transitions
// into the system-call state.
func count(r io.Reader) (int, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("syscalltrace: read the trace: %w", err)
	}
	mine := map[trace.GoID]bool{}
	n := 0
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("syscalltrace: read the trace: %w", err)
		}
		switch ev.Kind() {
		case trace.EventLog:
			if ev.Log().Category == "syscalltrace" {
				mine[ev.Goroutine()] = true
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			from, to := st.Goroutine()
			g := st.Resource.Goroutine()
			if from == trace.GoNotExist && mine[ev.Goroutine()] {
				mine[g] = true // created by a counted goroutine
			}
			if to == trace.GoSyscall && mine[g] {
				n++
			}
		}
	}
	if len(mine) == 0 {
		return 0, errors.New("syscalltrace: the trace has no event of the counted goroutine")
	}
	return n, nil
}

// Call is one entry into a system call: the calling goroutine's stack,
// innermost function first.
type Call struct {
	Stack []string
}

// Has reports whether a function of the stack has sub in its name.
func (c Call) Has(sub string) bool {
	for _, f := range c.Stack {
		if strings.Contains(f, sub) {
			return true
		}
	}
	return false
}

// String is the stack, a function a line.
func (c Call) String() string { return strings.Join(c.Stack, "\n\t") }

// Process runs during under the execution tracer and returns every entry
// of any goroutine of the process into a system call meanwhile.
func Process(during func()) ([]Call, error) {
	var out bytes.Buffer
	if err := rtrace.Start(&out); err != nil {
		return nil, fmt.Errorf("syscalltrace: start the trace: %w", err)
	}
	during()
	rtrace.Stop()
	tr, err := trace.NewReader(&out)
	if err != nil {
		return nil, fmt.Errorf("syscalltrace: read the trace: %w", err)
	}
	var calls []Call
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			return calls, nil
		}
		if err != nil {
			return nil, fmt.Errorf("syscalltrace: read the trace: %w", err)
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		if _, to := st.Goroutine(); to != trace.GoSyscall {
			continue
		}
		var c Call
		for f := range st.Stack.Frames() {
			c.Stack = append(c.Stack, f.Func)
		}
		calls = append(calls, c)
	}
}
