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
	mine := map[trace.GoID]bool{}
	n := 0
	err := traced(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			rtrace.Log(context.Background(), "syscalltrace", "counted")
			f()
		}()
		<-done
	}, func(ev trace.Event) {
		if ev.Kind() == trace.EventLog && ev.Log().Category == "syscalltrace" {
			mine[ev.Goroutine()] = true
			return
		}
		from, to, g, ok := goTransition(ev)
		if !ok {
			return
		}
		if from == trace.GoNotExist && mine[ev.Goroutine()] {
			mine[g] = true // created by a counted goroutine
		}
		if to == trace.GoSyscall && mine[g] {
			n++
		}
	})
	if err == nil && len(mine) == 0 {
		err = errors.New("syscalltrace: the trace has no event of the counted goroutine")
	}
	return n, err
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
	var calls []Call
	err := traced(during, func(ev trace.Event) {
		if _, to, _, ok := goTransition(ev); !ok || to != trace.GoSyscall {
			return
		}
		var c Call
		for f := range ev.StateTransition().Stack.Frames() {
			c.Stack = append(c.Stack, f.Func)
		}
		calls = append(calls, c)
	})
	if err != nil {
		return nil, err
	}
	return calls, nil
}

// traced runs run under the execution tracer, then hands each event of
// the trace to each.
func traced(run func(), each func(trace.Event)) error {
	var out bytes.Buffer
	if err := rtrace.Start(&out); err != nil {
		return fmt.Errorf("syscalltrace: start the trace: %w", err)
	}
	run()
	rtrace.Stop()
	tr, err := trace.NewReader(&out)
	if err != nil {
		return fmt.Errorf("syscalltrace: read the trace: %w", err)
	}
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("syscalltrace: read the trace: %w", err)
		}
		each(ev)
	}
}

// goTransition is ev's goroutine state change (from, to, the goroutine),
// ok false when ev is none.
func goTransition(ev trace.Event) (from, to trace.GoState, g trace.GoID, ok bool) {
	if ev.Kind() != trace.EventStateTransition {
		return 0, 0, 0, false
	}
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return 0, 0, 0, false
	}
	from, to = st.Goroutine()
	return from, to, st.Resource.Goroutine(), true
}
