package main

import (
	"context"
	"encoding/json"

	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/notify"
	"github.com/sipbell/sipbell/notify/mqtt"
	"github.com/sipbell/sipbell/provisioning"
)

// startMQTT connects core c's door station to the MQTT broker of
// notify.mqtt (issue 20), when one is configured: events and state out,
// open, call and hangup commands in (as "mqtt:<user>"), Home Assistant discovery.
func (c *core) startMQTT(ctx context.Context, a *app, cfg provisioning.File, dev *device.Device) error {
	if !cfg.Notify.MQTT.Enabled() {
		return nil
	}
	entity, _ := identity(c.agent)
	info := mqtt.Info{Name: cfg.SIP.DisplayName, Version: version, Buttons: len(cfg.Device.Buttons),
		Contact: cfg.Board.Wired(board.DoorContact, 0), Tamper: cfg.Board.Wired(board.Tamper, 0)}
	for _, r := range cfg.Device.Door.Relays {
		info.Relays = append(info.Relays, r.Name)
	}
	if id, ok := c.agent.Primary(); ok {
		info.Account = id.AOR.String()
	}
	info.SelfTest = c.audio.selfTester() != nil
	client, err := mqtt.New(cfg.Notify.MQTT, mqtt.Options{
		Info: info,
		Commands: mqtt.Commands{Open: dev.OpenDoor, OpenRelay: dev.OpenRelay, Call: dev.Call, Hangup: actions{a}.Hangup,
			DND: dev.SetDND},
		Encode: func(ev device.Event) []byte {
			b, _ := json.Marshal(notify.PayloadOf(ev, entity))
			return b
		},
		Log: a.log.With("component", "mqtt"),
	})
	if err != nil {
		return err
	}
	if t := c.audio.selfTester(); t != nil { // the kept result now, each new one as it comes
		t.observe(func(r selftest.Result) {
			b, _ := json.Marshal(r)
			client.SelfTested(b)
		})
	}
	events, cancel := dev.Subscribe(256) // before the device runs (startCore)
	c.goRun(ctx, a, "mqtt events", func(ctx context.Context) error {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case ev, ok := <-events:
				if !ok {
					return nil
				}
				client.Notify(ev)
			}
		}
	})
	c.goRun(ctx, a, "mqtt", client.Run)
	return nil
}
