package device

import (
	"context"
	"fmt"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// DNDConfig is device.dnd: when the door station's buttons ring nobody
// (or a fallback), and the keypad's opening hours.
type DNDConfig struct {
	// Windows are the weekly times do-not-disturb is on by itself (in
	// device.door.access.time_zone, else device.time_zone), e.g. the
	// night. The DND switch
	// (board.pins.dnd_switch) and the MQTT command dnd turn it on
	// besides.
	Windows []Window `yaml:"windows"`
	// Fallback are the targets a button calls instead during
	// do-not-disturb (the caretaker at night); empty: nobody is called,
	// the visitor hears the no-answer tone and a missed event is raised.
	Fallback []string `yaml:"fallback"`
}

func (c DNDConfig) validate() error {
	var errs cfgerr.List
	for i, w := range c.Windows {
		errs.Merge(cfgerr.Index("windows", i), w.validate())
	}
	for i, t := range c.Fallback {
		if msg := checkParty(t); msg != "" {
			errs.Add(cfgerr.Index("fallback", i), "%s", msg)
		}
	}
	return errs.Err()
}

// dnd reports whether do-not-disturb is on now.
func (m *door) dnd() bool {
	if m.dndSwitch || m.dndCommand {
		return true
	}
	loc, _ := loadZone(m.cfg.Door.Access.TimeZone)
	if loc == nil {
		return false
	}
	return len(m.cfg.DND.Windows) > 0 && inWindows(m.cfg.DND.Windows, m.now(), loc)
}

// pressDND handles button i during do-not-disturb: its fallback rings,
// or nobody.
func (m *door) pressDND(ctx context.Context, i int) {
	if f := m.cfg.DND.Fallback; len(f) > 0 {
		m.d.log.Info("do-not-disturb: calling the fallback", "button", i, "targets", f)
		b := m.cfg.Buttons[i].withDefaults()
		b.Targets = f
		m.startCallWith(ctx, i, b)
		return
	}
	m.d.log.Info("do-not-disturb: button pressed, nobody is called", "button", i)
	m.play(CueNoAnswer)
	m.d.emit(Event{Kind: EventMissed, Button: i, Targets: m.cfg.Buttons[i].Targets, Reason: "do-not-disturb"})
}

// setDND records the switch's or a command's do-not-disturb (by: "switch"
// or the command's user) and reports a change.
func (m *door) setDND(by string, on bool) {
	if by == "switch" {
		m.dndSwitch = on
	} else {
		m.dndCommand = on
	}
	m.showDND(by)
}

// showDND reports do-not-disturb (switch, command or device.dnd's
// windows) when it changed since last reported; by says what changed it
// ("schedule" for the windows).
func (m *door) showDND(by string) {
	if now := m.dnd(); now != m.dndShown {
		m.dndShown = now
		m.d.log.Info(fmt.Sprintf("do-not-disturb %s", map[bool]string{true: "on", false: "off"}[now]), "by", by)
		m.d.emit(Event{Kind: EventDND, On: now, Who: by})
	}
}

// scheduleDND reports the state of device.dnd's windows now (at start:
// when a window is open) and arms the next check, at the next minute:
// the windows open and close on whole minutes.
func (m *door) scheduleDND() {
	if len(m.cfg.DND.Windows) == 0 {
		return
	}
	m.showDND("schedule")
	now := m.now()
	m.dndAt = now.Truncate(time.Minute).Add(time.Minute)
}

// dndReq is a command to switch do-not-disturb.
type dndReq struct {
	who   string
	on    bool
	reply chan error
}

// setDND runs a dndReq on machine m (the door station only).
func setDND(m machine, r dndReq) error {
	d, ok := m.(*door)
	if !ok {
		return fmt.Errorf("device: do-not-disturb by %s: %w", r.who, ErrNotDoor)
	}
	d.setDND(r.who, r.on)
	return nil
}

// SetDND switches the door station's do-not-disturb on or off by command
// (who: "mqtt:<user>", "api:<user>"); the DND switch and device.dnd's
// windows turn it on besides.
func (d *Device) SetDND(ctx context.Context, who string, on bool) error {
	req := dndReq{who: who, on: on, reply: make(chan error, 1)}
	if err := d.send(ctx, req); err != nil {
		return fmt.Errorf("device: do-not-disturb by %s: %w", who, err)
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("device: do-not-disturb by %s: %w", who, ctx.Err())
	case <-d.done:
		return fmt.Errorf("device: do-not-disturb by %s: %w", who, ErrStopped)
	}
}
