// Command sipbell-gokrazy starts sipbell on a gokrazy appliance with its
// configuration on the writable /perm partition, so that changes made on
// the web page or by provisioning survive a reboot (gokrazy's root file
// system is a read-only squashfs). Before handing over, it seeds
// -config from -seed, the configuration baked into the image, with
// dpkg-conffile rules (see Seed); then it replaces itself with the sipbell
// binary (exec), so gokrazy supervises sipbell directly. When /perm is not
// usable it runs sipbell on the image's file instead, read-only, and says
// so. Arguments after "--" are passed on to sipbell.
//
// On the boot that tries a new firmware (see provisioning.FirmwareConfig)
// it counts sipbell's starts in the firmware state on /perm: a sipbell
// that keeps failing to start cannot roll itself back, so after
// provisioning.MaxTrialStarts starts it reboots into the previous
// firmware instead of starting it again.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sipbell/sipbell/provisioning"
)

func main() {
	var sys system = noSlots{}
	if g := provisioning.NewGokrazyBoot(); g != nil {
		sys = g
	}
	os.Exit(run(os.Args[1:], os.Stderr, syscall.Exec, sys))
}

// system is what the launcher needs of the boot slots (a
// provisioning.GokrazyBoot on the device).
type system interface {
	Trial() (bool, error)
	Reboot() error
}

// noSlots is a system that is not a gokrazy one.
type noSlots struct{}

func (noSlots) Trial() (bool, error) { return false, nil }
func (noSlots) Reboot() error        { return nil }

// execFunc replaces the process (syscall.Exec); tests pass a fake.
type execFunc func(argv0 string, argv []string, envv []string) error

func run(args []string, stderr io.Writer, exec execFunc, sys system) int {
	fs := flag.NewFlagSet("sipbell-gokrazy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", "/etc/sipbell/sipbell.yaml", "the image's configuration `file` (read-only)")
	live := fs.String("config", "/perm/sipbell/sipbell.yaml", "the configuration `file` sipbell runs on and rewrites")
	bin := fs.String("sipbell", "/user/sipbell", "the sipbell `binary`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	config := *live
	outcome, err := Seed(*seed, *live)
	switch {
	case err != nil:
		log.Error("configuration on /perm unusable: running on the image's file, read-only (changes will not be saved)", "err", err, "file", *seed)
		config = *seed
	case outcome == Diverged:
		log.Warn("the image brings a new default configuration; keeping the one changed on this device", "file", *live, "image_file", *seed)
	default:
		log.Info("configuration", "file", *live, "from", *seed, "outcome", string(outcome))
	}
	if trial, err := sys.Trial(); err != nil {
		log.Warn("cannot tell whether this boot tries a new firmware", "err", err)
	} else if giveUp, err := provisioning.CountTrialStart(filepath.Dir(*live), trial, time.Now()); err != nil {
		log.Warn("firmware trial: start not counted", "err", err)
	} else if giveUp {
		log.Error("the new firmware's sipbell did not start healthy; rebooting into the previous firmware", "starts", provisioning.MaxTrialStarts)
		if err := sys.Reboot(); err != nil {
			log.Error("reboot failed", "err", err)
		}
		return 1
	}
	argv := append([]string{"sipbell", "-config", config}, fs.Args()...)
	err = exec(*bin, argv, os.Environ())
	fmt.Fprintf(stderr, "sipbell-gokrazy: exec %s: %v\n", *bin, err)
	return 1
}
