package interop

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Scenarios holds the sipp scenario files kept in the repository.
//
//go:embed sipp/*.xml
var Scenarios embed.FS

// SippOptions is one sipp run.
type SippOptions struct {
	Scenario  string            // file name in Scenarios (e.g. "uac_call.xml") or a path to an XML file
	Remote    string            // "host:port" to send to; "" for a server scenario
	Transport string            // "udp" (default) or "tcp"
	Service   string            // -s: the request-URI user
	Keys      map[string]string // -key name value ([name] in the scenario)
	Calls     int               // -m: number of calls (default 1)
	Rate      float64           // -r: calls per second (default sipp's 10)
	Timeout   time.Duration     // -timeout: global limit (default 30s)
	Args      []string          // extra sipp arguments
	Auth      [2]string         // -au, -ap: digest user and password
	// Replace substitutes "@name@" in the scenario text before sipp reads
	// it: for what sipp cannot take as a -key (status lines, regexps).
	// Values go in raw; keep quotes and '<' out of values used in XML
	// attributes.
	Replace map[string]string
}

// SippResult is what a finished sipp run left.
type SippResult struct {
	Exit     int    // 0 all calls passed, 1 some failed, 255 timeout/error, -1 killed
	Messages string // every SIP message sent and received (-trace_msg)
	Log      string // stdout/stderr, the error file and <log> actions
}

// Sipp is a sipp started in the background.
type Sipp struct {
	Addr string // "127.0.0.1:port" sipp listens and sends on
	dir  string
	out  *Log
	p    *proc
}

// StartSipp starts sipp in the background and waits until it has bound its
// port. It is killed in t.Cleanup; Wait collects the result.
func StartSipp(t testing.TB, opts SippOptions) *Sipp {
	t.Helper()
	Need(t, "sipp", "sip-tester")
	dir := t.TempDir()
	b, err := os.ReadFile(opts.Scenario)
	if err != nil {
		b, err = Scenarios.ReadFile("sipp/" + opts.Scenario)
	}
	if err != nil {
		t.Fatalf("sipp scenario %s: %v", opts.Scenario, err)
	}
	text := string(b)
	for k, v := range opts.Replace {
		text = strings.ReplaceAll(text, "@"+k+"@", v)
	}
	scen := filepath.Join(dir, filepath.Base(opts.Scenario))
	if err := os.WriteFile(scen, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-sf", scen, "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-trace_msg", "-message_file", filepath.Join(dir, "msg.log"),
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_logs", "-log_file", filepath.Join(dir, "log.log")}
	if opts.Transport == "tcp" {
		args = append(args, "-t", "t1")
	}
	if opts.Service != "" {
		args = append(args, "-s", opts.Service)
	}
	keys := make([]string, 0, len(opts.Keys))
	for k := range opts.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-key", k, opts.Keys[k])
	}
	if opts.Auth[0] != "" {
		args = append(args, "-au", opts.Auth[0], "-ap", opts.Auth[1])
	}
	calls := opts.Calls
	if calls == 0 {
		calls = 1
	}
	args = append(args, "-m", strconv.Itoa(calls))
	if opts.Rate > 0 {
		args = append(args, "-r", strconv.FormatFloat(opts.Rate, 'f', -1, 64))
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	args = append(args, "-timeout", fmt.Sprintf("%dms", timeout.Milliseconds()), "-timeout_error")
	args = append(args, opts.Args...)
	s := &Sipp{dir: dir}
	dumpOnFailure(t, "sipp "+opts.Scenario, logFunc(s.result))
	// A port FreePort found free can be taken by another test process
	// before sipp binds it ("Unable to bind main socket, errno = 98"):
	// then sipp exits at once and is started again on other ports.
	for attempt := 1; ; attempt++ {
		port, media := FreePort(t), FreePort(t)
		s.Addr, s.out = fmt.Sprintf("127.0.0.1:%d", port), NewLog()
		argv := append([]string{"sipp"}, args...)
		argv = append(argv, "-p", strconv.Itoa(port), "-mp", strconv.Itoa(media))
		if opts.Remote != "" {
			argv = append(argv, opts.Remote) // the remote host stays last
		}
		s.p = startProc(t, "sipp", s.out, dir, argv...)
		t.Cleanup(s.p.stop)
		s.awaitBound(t, port, media, media+2) // sipp's audio and video RTP
		if attempt < 5 && s.p.exited() && strings.Contains(s.out.String(), "Unable to bind") {
			t.Logf("sipp could not bind 127.0.0.1:%d or %d (taken meanwhile): starting it again", port, media)
			ScatterPorts()
			continue
		}
		return s
	}
}

// awaitBound waits until sipp has bound its SIP and media ports, or has
// exited (a fast client may be done already; a port taken by someone else
// between FreePort and sipp's bind makes it exit with "Unable to bind").
// The ports are looked up among sipp's own sockets: a bind test of our
// own would take a port another process holds for sipp's.
func (s *Sipp) awaitBound(t testing.TB, ports ...int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := poll(ctx, nil, func(context.Context) error {
		if s.p.exited() {
			return nil
		}
		got, err := boundPorts(s.p.cmd.Process.Pid, ports...)
		if err != nil {
			return err
		}
		for _, p := range ports {
			if !got[p] {
				return fmt.Errorf("sipp has not bound port %d yet", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("sipp not ready: %v", err)
	}
}

// RunSipp runs sipp to completion (or until ctx ends, which kills it).
func RunSipp(ctx context.Context, t testing.TB, opts SippOptions) SippResult {
	t.Helper()
	return StartSipp(t, opts).Wait(ctx)
}

// Wait waits for sipp to exit (killing it when ctx ends) and returns its result.
func (s *Sipp) Wait(ctx context.Context) SippResult {
	select {
	case <-s.p.done:
	case <-ctx.Done():
		s.p.stop()
	}
	return s.result()
}

// Messages returns the SIP trace so far (sipp flushes it as it goes).
func (s *Sipp) Messages() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "msg.log"))
	return string(b)
}

func (s *Sipp) result() SippResult {
	r := SippResult{Exit: -1, Messages: s.Messages()}
	if s.p == nil || s.out == nil {
		return r // not started
	}
	if s.p.exited() {
		var ee *exec.ExitError
		if s.p.err == nil {
			r.Exit = 0
		} else if errors.As(s.p.err, &ee) {
			r.Exit = ee.ExitCode()
		}
	}
	e, _ := os.ReadFile(filepath.Join(s.dir, "err.log"))
	l, _ := os.ReadFile(filepath.Join(s.dir, "log.log"))
	r.Log = s.out.String() + "\n--- errors ---\n" + string(e) + "\n--- log ---\n" + string(l)
	return r
}

type logFunc func() SippResult

func (f logFunc) String() string {
	r := f()
	return fmt.Sprintf("exit %d\n%s\n--- messages ---\n%s", r.Exit, r.Log, r.Messages)
}
