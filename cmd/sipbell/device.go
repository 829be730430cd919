package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/boardio"
	"github.com/sipbell/sipbell/device/sipphone"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
)

// startDevice builds the door station of core c: it drives the board's
// LEDs and relay, calls and answers through the user agent, and takes the
// board's inputs and the agent's events through subscriptions, all in
// the core's goroutine group. Its state machine (Run) is left for the
// caller to start once every listener to its events has subscribed: what
// it reports at its start (do-not-disturb on by schedule) is not lost.
//
// The visitor hears no cues yet: device.Cues is an audio.Source that
// needs mixing into the speaker path (see the report of issue 6).
func (c *core) startDevice(ctx context.Context, a *app, cfg provisioning.File) (*device.Device, error) {
	deps := device.Deps{
		Outputs: boardio.Outputs{Board: c.hw.b},
		Phone:   sipphone.New(c.agent),
		Sounds:  sounds{c.speaker},
		Log:     a.log.With("component", "door"),
		// Without accounts nothing registers: the status LED is on.
		PeerToPeer: len(cfg.SIP.Accounts) == 0,
		// A refused call or door code is logged once per source a minute.
		Refusals: ua.NewLogLimiter(a.log.With("component", "door"), nil, time.Minute, 256),
		Access:   newAccessStore(cfg.Provisioning.StateDir),
	}
	if c.ata != nil {
		deps.Handset = c.ata
		deps.Log = a.log.With("component", "phone")
	}
	d, err := device.New(cfg.Device, deps)
	if err != nil {
		return nil, fmt.Errorf("door station: %w", err)
	}
	if c.ata != nil {
		c.ata.mic.input = d.Input
		regs := c.subscribeUA(16)
		subscribe := cfg.Device.Phone.VoicemailSubscription != device.VoicemailSubscriptionOff
		c.uaUsers.Add(1) // the agent runs on until the subscription is ended
		c.goRun(ctx, a, "voicemail", func(ctx context.Context) error {
			defer c.uaUsers.Done()
			return c.ata.voicemail(ctx, c.agent, regs, d, subscribe, a.log)
		})
	}
	inputs := c.hw.subscribe(64)
	events := c.subscribeUAFirst(256)
	c.goRun(ctx, a, "door inputs", func(ctx context.Context) error {
		return device.Forward(ctx, inputs, boardio.Input, d.Input)
	})
	c.goRun(ctx, a, "door sip events", func(ctx context.Context) error {
		return device.Forward(ctx, events, sipphone.Event, d.PhoneEvent)
	})
	return d, nil
}
