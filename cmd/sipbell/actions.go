package main

import (
	"context"
	"errors"
	"time"

	"github.com/sipbell/sipbell/internal/localzone"
	"github.com/sipbell/sipbell/ua"
)

// errNoDoor is returned when no door-station logic runs to open the door.
var errNoDoor = errors.New("door station not running")

// errNoCore is returned when no configuration runs (it failed to start).
var errNoCore = errors.New("no configuration running")

// actions are what the admin API may make the device do
// (provisioning.Actions), always on the current core.
type actions struct{ a *app }

func (x actions) current() (*core, error) {
	x.a.mu.Lock()
	defer x.a.mu.Unlock()
	if x.a.core == nil {
		return nil, errors.New("not running")
	}
	return x.a.core, nil
}

// Call places a call to target (a SIP URI or a user at the registrar).
func (x actions) Call(ctx context.Context, target string) error {
	c, err := x.current()
	if err != nil {
		return err
	}
	if c.call != nil { // through the door station, so its state is true
		return c.call(ctx, []string{target})
	}
	_, err = c.agent.Call(ctx, []string{target}, ua.Hunt)
	return err
}

// Hangup ends every call.
func (x actions) Hangup(ctx context.Context) error {
	c, err := x.current()
	if err != nil {
		return err
	}
	calls := c.agent.Calls()
	if len(calls) == 0 {
		return errNoCall
	}
	var errs []error
	for _, call := range calls {
		errs = append(errs, call.Hangup(ctx))
	}
	return errors.Join(errs...)
}

// OpenDoor opens the door as the admin API's user.
func (x actions) OpenDoor(ctx context.Context) error {
	c, err := x.current()
	if err != nil {
		return err
	}
	if c.openDoor == nil {
		return errNoDoor
	}
	return c.openDoor(ctx, adminOpener)
}

// Restart restarts the firmware (board, SIP, door station) in this
// process with the configuration in force: it works the same under
// systemd, gokrazy, make run or a plain start, and the web page stays up.
func (x actions) Restart(ctx context.Context) error {
	x.a.log.Info("restart requested from the admin API")
	return x.a.restart(ctx)
}

// status is the live state the admin API shows (provisioning.StatusSource).
type status struct {
	a     *app
	start time.Time
}

// AwaitRegistrations waits until every account of the configuration in
// force registered or failed (provisioning.RegistrationWaiter: "save and
// test registration").
func (s status) AwaitRegistrations(ctx context.Context) (map[string]string, error) {
	s.a.mu.Lock()
	c, n := s.a.core, len(s.a.cfg.SIP.Accounts)
	s.a.mu.Unlock()
	if c == nil {
		return nil, errNoCore
	}
	return c.awaitRegistrations(ctx, n)
}

// Status gathers version, uptime, registrations, calls, pins and the door
// station's state.
func (s status) Status(ctx context.Context) any {
	out := map[string]any{
		"version": versionString(),
		"uptime":  time.Since(s.start).Round(time.Second).String(),
	}
	s.a.mu.Lock()
	c, fw := s.a.core, s.a.fw
	s.a.mu.Unlock()
	if fw != nil {
		out["firmware"] = fw.u.Status()
	}
	if z := localzone.Zone(); z != nil {
		out["time_zone"] = z.String() // device.time_zone: the page shows times in it
	}
	if c == nil {
		return out
	}
	s.a.mu.Lock()
	user := s.a.cfg.SIP.User
	s.a.mu.Unlock()
	addr := c.agent.Addr().String()
	out["sip"] = map[string]any{"listen": addr, "uri": "sip:" + user + "@" + addr, "registrations": c.registrations(),
		"dropped": c.agent.GuardDrops()} // unanswered requests since SIP started, by reason
	var calls []map[string]any
	for _, call := range c.agent.Calls() {
		calls = append(calls, map[string]any{"id": call.ID(), "peer": call.Peer(), "state": call.State().String(),
			"media": callMedia(call)}) // srtp_status.go
	}
	out["calls"] = calls
	out["pins"] = c.hw.b.State()
	if r := c.selfTestStatus(); r != nil {
		out["audio_self_test"] = r // the speaker and microphone's last self-test
	}
	if c.deviceStatus != nil {
		if st, err := c.deviceStatus(ctx); err == nil {
			out["door"] = withEncryption(st, c.agent.Calls()) // srtp_status.go
		}
	}
	return out
}
