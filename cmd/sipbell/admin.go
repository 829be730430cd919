package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/provisioning"
)

// provisioningWiring is what the rest of the firmware hands to
// provisioning: the config file and section, how to apply a new
// configuration, how to tell the device is healthy, its status and
// actions, and the simulated board's HTTP controls (nil on hardware).
type provisioningWiring struct {
	ConfigPath string
	Section    provisioning.Config // the running file's provisioning section
	Running    provisioning.File   // the configuration in force
	Applier    provisioning.Applier
	Health     func(context.Context) error // proves the device works; nil: no health rollback
	Status     provisioning.StatusSource
	Actions    provisioning.Actions
	Sim        http.Handler
	History    http.Handler // GET /api/history; nil: none
	Model      string       // board profile, for {model} and the User-Agent
	// SectionOf picks the provisioning section out of a newly applied
	// file, so a changed URL, interval or admin password takes effect
	// live; nil: changes take effect at the next start.
	SectionOf func(provisioning.File) provisioning.Config
}

// provisioningParts are the running pieces: the Manager every change
// goes through, pull provisioning (SyncNow on a SIP NOTIFY check-sync),
// the admin server, and the goroutines serve must run.
type provisioningParts struct {
	Manager   *provisioning.Manager
	Puller    *provisioning.Puller
	Admin     *provisioning.Admin // nil when admin.listen is empty
	AdminAddr net.Addr
	Runs      []func(context.Context) error
}

// newProvisioning builds the provisioning parts. The admin listener is
// opened here so a busy port is an error at start, not later.
func newProvisioning(w provisioningWiring, log *slog.Logger) (*provisioningParts, error) {
	sec := w.Section
	if err := os.MkdirAll(sec.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("provisioning state dir: %w", err)
	}
	mgr, err := provisioning.NewManager(provisioning.ManagerOptions{
		Path: w.ConfigPath, Initial: w.Running, Applier: w.Applier,
		Health: w.Health, RollbackAfter: sec.RollbackAfter,
		Log: log.With("component", "config"),
	})
	if err != nil {
		return nil, err
	}
	id := deviceIdentity(w.Model)
	id.Version = version
	pull, err := provisioning.NewPuller(provisioning.PullerOptions{
		Config: sec, Identity: id, Target: mgr, Log: log.With("component", "provisioning"),
		StateFile:   sec.StateDir + "/" + provisioning.PullStateFile,
		AgeIdentity: deviceAgeIdentity(sec.StateDir, log),
	})
	if err != nil {
		return nil, err
	}
	p := &provisioningParts{Manager: mgr, Puller: pull, Runs: []func(context.Context) error{mgr.Run, pull.Run}}
	rec, _ := w.History.(history.Recorder)
	if rec != nil {
		mgr.OnResult(provisioningRecorder(rec, log))
	}
	if sec.Admin.Listen == "" {
		return p, nil
	}
	p.Admin, err = provisioning.NewAdmin(provisioning.AdminOptions{
		Config: sec.Admin, StateDir: sec.StateDir, Manager: mgr, Pull: pull,
		Status: w.Status, Actions: w.Actions, Sim: w.Sim, History: w.History,
		PasswordResetFiles: passwordResetFiles(w.ConfigPath), Logs: recentLog,
		Log: log.With("component", "admin"),
	})
	if err != nil {
		return nil, err
	}
	if from := p.Admin.PasswordResetFrom(); from != "" && rec != nil {
		if err := rec.Add(history.Entry{Kind: history.KindPassword, How: "file", Detail: "admin password reset from " + from}); err != nil {
			log.Warn("event history not written", "err", err)
		}
	}
	ln, err := net.Listen("tcp", sec.Admin.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin server: %w", err)
	}
	p.AdminAddr = ln.Addr()
	scheme := "https"
	if !sec.Admin.TLS {
		scheme = "http"
	}
	log.Info("admin web UI", "url", scheme+"://"+ln.Addr().String()+"/")
	if w.SectionOf != nil {
		mgr.OnChange(func(f provisioning.File) {
			sec := w.SectionOf(f)
			if err := pull.SetConfig(sec); err != nil {
				log.Warn("provisioning section not applied", "err", err)
			}
			if err := p.Admin.SetPassword(sec.Admin.Password); err != nil {
				log.Warn("admin password not changed", "err", err)
			}
		})
	}
	p.Runs = append(p.Runs, func(ctx context.Context) error { return p.Admin.Serve(ctx, ln) })
	return p, nil
}

// passwordResetFiles are where a file resetting the admin password is
// looked for at start: beside the configuration file, then on the boot
// partition (Raspberry Pi OS mounts it at /boot/firmware, gokrazy and
// older systems at /boot).
func passwordResetFiles(configPath string) []string {
	return []string{
		filepath.Join(filepath.Dir(configPath), provisioning.PasswordResetFile),
		"/boot/firmware/" + provisioning.PasswordResetFile,
		"/boot/" + provisioning.PasswordResetFile,
	}
}

// provisioningRecorder writes what became of configuration changes and
// provisioning fetches into the history: refusals, failures, rollbacks
// and changes applied by provisioning. "Unchanged" and "not modified"
// (every poll) are left out, and so is an outcome repeating the one
// before (a server down for a day is one entry, not one per poll).
func provisioningRecorder(rec history.Recorder, log *slog.Logger) func(provisioning.Result) {
	var mu sync.Mutex
	last := ""
	return func(r provisioning.Result) {
		switch r.Outcome {
		case provisioning.OutcomeUnchanged, provisioning.OutcomeNotModified, provisioning.OutcomeOff:
			return
		case provisioning.OutcomeApplied:
			if strings.HasPrefix(r.Source, "admin ") {
				return // the configuration change is recorded with what changed
			}
		}
		detail := r.Outcome
		if r.Message != "" {
			detail += ": " + r.Message
		}
		for i, e := range r.Errors {
			if i == 3 {
				detail += fmt.Sprintf("; and %d more", len(r.Errors)-3)
				break
			}
			detail += "; " + e.Path + ": " + e.Message
		}
		mu.Lock()
		repeat := detail+r.Source == last
		last = detail + r.Source
		mu.Unlock()
		if repeat {
			return
		}
		if err := rec.Add(history.Entry{Kind: history.KindProvisioning, Who: r.Source, Detail: detail}); err != nil {
			log.Warn("event history not written", "err", err)
		}
	}
}

// deviceIdentity is what the provisioning server knows this device by:
// the MAC of eth0 (else of the first other interface with one), the
// board's serial number, and the model.
func deviceIdentity(model string) provisioning.Identity {
	return provisioning.Identity{MAC: primaryMAC(), Serial: serialNumber(), Model: model}
}

func primaryMAC() net.HardwareAddr {
	ifs, err := net.Interfaces()
	if err != nil {
		return net.HardwareAddr{0, 0, 0, 0, 0, 0}
	}
	sort.Slice(ifs, func(i, j int) bool {
		// eth0 first, then wired before wireless, then by name.
		ri, rj := ifRank(ifs[i].Name), ifRank(ifs[j].Name)
		if ri != rj {
			return ri < rj
		}
		return ifs[i].Name < ifs[j].Name
	})
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && len(i.HardwareAddr) == 6 {
			return i.HardwareAddr
		}
	}
	return net.HardwareAddr{0, 0, 0, 0, 0, 0}
}

func ifRank(name string) int {
	switch {
	case name == "eth0":
		return 0
	case strings.HasPrefix(name, "eth") || strings.HasPrefix(name, "en"):
		return 1
	case strings.HasPrefix(name, "wlan") || strings.HasPrefix(name, "wl"):
		return 2
	}
	return 3
}

// serialNumber reads the Raspberry Pi's serial (device tree, then
// /proc/cpuinfo), else the machine id, else "".
func serialNumber() string {
	if b, err := os.ReadFile("/sys/firmware/devicetree/base/serial-number"); err == nil {
		if s := strings.TrimSpace(string(bytes.TrimRight(b, "\x00"))); s != "" {
			return s
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if s := cpuinfoSerial(string(b)); s != "" {
			return s
		}
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 16 {
			return s[:16]
		}
	}
	return ""
}

func cpuinfoSerial(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "Serial" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
