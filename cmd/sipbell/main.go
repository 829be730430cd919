// Command sipbell is the firmware's one binary: it reads the configuration,
// opens the board, starts the SIP user agent and the door-station logic,
// and runs until SIGINT or SIGTERM. It is thin wiring: behaviour lives in
// the packages it connects.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/provisioning"
)

// Stamped at build time by the Makefile (-X main.version=... -X main.commit=...).
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	setProcs()
	setMemLimit()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	configPath  string
	checkConfig string
	showVersion bool
	logFormat   string
	logLevel    string
	sipListen   string
	sipTrace    bool
	simHTTP     string
	simOffHook  bool
	hashCode    bool
	updateKeys  string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sipbell", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configPath, "config", provisioning.DefaultPath, "configuration `file` (defaults are used when the default file does not exist)")
	fs.StringVar(&o.checkConfig, "check-config", "", "validate `file`, print every error with its field path and line, and exit 0 (valid) or 1")
	fs.BoolVar(&o.showVersion, "version", false, "print version, commit and platform, then exit")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.sipListen, "sip-listen", "", "override sip.listen (`host:port`; port 0 picks a free one)")
	fs.BoolVar(&o.sipTrace, "sip-trace", false, "log every SIP message sent and received")
	fs.StringVar(&o.simHTTP, "sim-http", "", "serve the simulated board's HTTP controls on `host:port` (sim profile only)")
	fs.BoolVar(&o.simOffHook, "sim-off-hook", false, "the simulated board's handset starts off hook (sim profile only)")
	fs.StringVar(&o.updateKeys, "update-keys", provisioning.UpdateKeysFile, "root-owned `file` of the minisign public keys firmware slots must be signed by (Debian install; not writable by the service)")
	fs.BoolVar(&o.hashCode, "hash-code", false, "read a door code from standard input and print its hash for device.door.access.users[].code_hash")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sipbell:", err)
		return 2
	}
	switch {
	case o.showVersion:
		fmt.Fprintln(stdout, versionString())
		return 0
	case o.checkConfig != "":
		return checkConfig(o.checkConfig, stdout, stderr)
	case o.hashCode:
		return hashCode(stdin, stdout, stderr)
	}
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "sipbell:", err)
		return 2
	}
	return serve(o, stdin, stdout, log)
}

// versionString is what -version prints: version, commit, platform.
func versionString() string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" && runtime.GOARCH == "arm" {
				platform += "v" + s.Value
			}
		}
	}
	return fmt.Sprintf("sipbell %s (commit %s) %s %s", version, commit, platform, runtime.Version())
}

// checkConfig validates a file and prints every problem on its own line
// as FILE:LINE: PATH: MESSAGE, the way compilers do.
func checkConfig(path string, stdout, stderr io.Writer) int {
	_, err := provisioning.Load(path)
	if err == nil {
		fmt.Fprintf(stdout, "%s: ok\n", path)
		return 0
	}
	var l cfgerr.List
	if !errors.As(err, &l) {
		fmt.Fprintln(stderr, "sipbell:", err)
		return 1
	}
	for _, fe := range l {
		loc := path
		if fe.Line > 0 {
			loc = fmt.Sprintf("%s:%d", path, fe.Line)
		}
		fe.Line = 0
		fmt.Fprintf(stderr, "%s: %s\n", loc, fe.Error())
	}
	fmt.Fprintf(stderr, "%s: %d error(s)\n", path, len(l))
	return 1
}
