package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/device/sipphone"
	"github.com/sipbell/sipbell/notify"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/presence"
)

// presenceShutdown bounds the final NOTIFYs to watchers at shutdown
// (the publication's removal has its own bound, RemoveTimeout).
const presenceShutdown = time.Second

// simple is issue 8's wiring of one core: the presence publisher, the
// direct watchers (presence and dialog/BLF), MESSAGE commands and the
// notifier (webhooks, MESSAGE texts), all fed by the door station's
// events.
type simple struct {
	pub      *presence.Publisher // nil: not publishing
	watchers *presence.Manager   // nil: max_watchers is 0
	notifier *notify.Notifier
	log      *slog.Logger
	account  string // the primary account's AOR; "" peer-to-peer
	entity   string // our presentity and contact, for dialog-info
	contact  string
	uaEvents <-chan ua.Event // call events for dialog-info; nil without watchers

	mu          sync.Mutex
	status      presence.Status // what watchers see now
	unreachable bool            // the primary account is not registered
	calls       callDialogs     // the calls as the dialog package shows them
}

// startSIMPLE builds the presence and notification parts of core c,
// installs the SUBSCRIBE and MESSAGE handlers on the user agent (so it
// must run before the agent does) and starts the parts in the core's
// group. It returns the context the user agent runs with: cancelled only
// once the watchers got their final NOTIFY and the publication was
// removed, so those still have the agent's sockets.
func (c *core) startSIMPLE(ctx context.Context, a *app, cfg provisioning.File, dev *device.Device) (context.Context, error) {
	log := a.log.With("component", "presence")
	s := &simple{log: log}
	agent := c.agent
	entity, contact := identity(agent)
	s.entity, s.contact, s.calls.byID = entity, contact, map[string]presence.Dialog{}
	primary, registered := agent.Primary()
	if registered {
		s.account = primary.AOR.String()
	}
	if primary.Transport == "" {
		primary.Transport = "udp" // peer-to-peer: replies go direct
	}

	if cfg.Presence.Publish && registered {
		dst := primary.Destination
		if cfg.Presence.Server != "" {
			d, err := ua.ServerAddr(cfg.Presence.Server, primary.Transport)
			if err != nil {
				return nil, fmt.Errorf("presence.server: %w", err)
			}
			dst = d
		}
		client, err := agent.Client(primary.Transport)
		if err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
		sender := &presence.SIPSender{Client: client, Clients: agent.Client, Entity: primary.AOR, Destination: dst, Transport: primary.Transport,
			User: primary.AuthUser, Secret: primary.Password, DisplayName: primary.DisplayName}
		sender.Route = agent.PrimaryRoute // the registration's server, DNS as for it (sip.dns_server)
		if srv := cfg.Presence.Server; srv != "" {
			sender.Route = func(ctx context.Context) (string, string, error) {
				return agent.ServerRoute(ctx, srv, primary.Transport)
			}
		}
		pc := cfg.Presence.PublisherConfig(entity, contact)
		pc.RemoveTimeout = presenceShutdown // the core's whole stop is bounded by shutdownGrace
		if s.pub, err = presence.NewPublisher(sender, pc, nil, log); err != nil {
			return nil, err
		}
	}
	if cfg.Presence.MaxWatchers > 0 {
		allow := func(r presence.SubscribeRequest) bool {
			return r.Admitted || agent.Trusted(r.Source) || agent.Admits(r.From, r.Source)
		}
		m, err := presence.NewManager(cfg.Presence.ManagerConfig(entity, contact), allow, nil, log)
		if err != nil {
			return nil, err
		}
		s.watchers = m
		s.uaEvents = c.subscribeUA(64) // before the agent runs: no call is missed
		w := &presence.SIPWatchers{Manager: m, Client: agent.Client, Contact: agent.Contact,
			// Watchers are admitted as callers are: sip.callers users
			// answer a digest challenge.
			Admit: func(req *sip.Request, tx sip.ServerTransaction) (string, bool) {
				caller, ok := agent.Admit(req, tx)
				return caller.Identity, ok
			}}
		agent.HandleSubscribe(w.OnSubscribe)
	}
	var sender *presence.SIPMessageSender
	if client, err := agent.Client(primary.Transport); err == nil {
		sender = &presence.SIPMessageSender{Client: client, Clients: agent.Client, From: entityURI(entity), Destination: primary.Destination,
			User: primary.AuthUser, Secret: primary.Password, DisplayName: cfg.SIP.DisplayName}
		if registered {
			sender.Route = agent.PrimaryRoute
		}
	}
	if cfg.Presence.Commands {
		h := &presence.SIPMessages{
			Commands: presence.NewCommands(cfg.Presence.CommandConfig(), s.statusText, nil),
			// The sender is whom the agent verified, as for a call; the
			// door opens for the identities device.door.allowed lists.
			Admit: func(req *sip.Request, tx sip.ServerTransaction) (string, bool) {
				caller, ok := agent.Admit(req, tx)
				return sipphone.Caller(caller).Identity, ok
			},
			MayOpen: func(id string) bool { return dev.MayOpen(device.Caller{Identity: id}) },
			Log:     log,
			Open:    func(who string) { c.openAsync(ctx, dev, log, who) },
		}
		if sender != nil {
			h.Reply = sender.SendMessage
			h.Through = agent.Trusted
			h.Direct = directReply(agent, *sender)
		}
		agent.HandleMessage(h.OnMessage)
	}
	opts := notify.Options{Device: entity, Log: a.log.With("component", "notify")}
	if sender != nil {
		opts.Messages = sender
	}
	n, err := notify.New(cfg.Notify, opts)
	if err != nil {
		return nil, err
	}
	s.notifier = n
	return s.run(ctx, c, a, dev), nil
}

// run starts the parts and returns the user agent's context (see
// startSIMPLE).
func (s *simple) run(ctx context.Context, c *core, a *app, dev *device.Device) context.Context {
	events, cancelSub := dev.Subscribe(256)
	c.goRun(ctx, a, "presence events", func(ctx context.Context) error {
		defer cancelSub()
		s.follow(ctx, events)
		return nil
	})
	c.goRun(ctx, a, "notify", s.notifier.Run)
	if s.uaEvents != nil {
		c.goRun(ctx, a, "dialog-info", func(ctx context.Context) error {
			s.followCalls(ctx, s.uaEvents)
			return nil
		})
	}
	uaCtx, stopUA := context.WithCancel(context.WithoutCancel(ctx))
	var parts sync.WaitGroup
	if s.pub != nil {
		parts.Add(1)
		go func() {
			defer parts.Done()
			select { // PUBLISH leaves from the agent's socket: wait until it serves
			case <-c.agent.Ready():
				_ = s.pub.Run(ctx) // removes the publication when ctx ends
			case <-ctx.Done():
			}
		}()
	}
	c.goRun(ctx, a, "presence", func(ctx context.Context) error {
		defer stopUA()
		<-ctx.Done()
		if s.watchers != nil {
			sctx, cancel := context.WithTimeout(uaCtx, presenceShutdown)
			if err := s.watchers.Shutdown(sctx); err != nil {
				s.log.Info("watchers not all told of the shutdown", "err", err)
			}
			cancel()
		}
		parts.Wait()
		c.uaUsers.Wait()
		return nil
	})
	return uaCtx
}

// follow turns each device event into the presence status (publisher and
// watchers) and a notification, until ctx ends or the device stops.
func (s *simple) follow(ctx context.Context, events <-chan device.Event) {
	var tracker notify.PresenceTracker
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if st, changed := tracker.Apply(ev); changed {
				s.set(st)
			}
			if ev.Kind == device.EventRegistration && ev.Account == s.account {
				s.registration(ev.Reg)
			}
			s.notifier.Notify(ev)
		}
	}
}

// notRegistered is what the presence server shows while the primary
// account is not registered: the PBX cannot reach the door station.
var notRegistered = presence.Status{State: presence.Offline, Note: "Not registered"}

// set shows st to the presence server and the watchers.
func (s *simple) set(st presence.Status) {
	s.mu.Lock()
	s.status = st
	off := s.unreachable
	s.mu.Unlock()
	s.log.Debug("presence status", "state", st.State.String(), "note", st.Text())
	if s.pub != nil {
		pub := st
		if off {
			pub = notRegistered
		}
		s.pub.Set(pub)
	}
	if s.watchers != nil {
		s.mu.Lock() // in order with the call events' SetCalls
		s.watchers.SetCalls(st, s.calls.list())
		s.mu.Unlock()
	}
}

// registration follows the primary account: the publication is closed
// ("Not registered") while the registration failed or ended, and the
// device's status again, at once, when it is registered. Registering (a
// refresh, or the first attempt) changes nothing. Watchers subscribed to
// the device itself still see its status: they reach it directly.
func (s *simple) registration(reg device.RegState) {
	var off bool
	switch reg {
	case device.Registered:
	case device.RegFailed, device.Unregistered:
		off = true
	default:
		return
	}
	s.mu.Lock()
	changed := s.unreachable != off
	s.unreachable = off
	st := s.status
	s.mu.Unlock()
	if !changed || s.pub == nil {
		return
	}
	if off {
		s.log.Info("presence: published offline while not registered", "account", s.account, "registration", reg.String())
		s.pub.Set(notRegistered)
		return
	}
	s.log.Info("presence: registered again, publishing the status", "account", s.account, "state", st.State.String())
	s.pub.Set(st)
	s.pub.Retry() // the server answers again: no need to wait out a backoff
}

// directReply sends MESSAGE replies straight back to a sender that did
// not come through the account's server (not registered there, or
// peer-to-peer), with the agent's client for the request's transport.
func directReply(agent *ua.UA, s presence.SIPMessageSender) func(ctx context.Context, to, dest, transport, text string) error {
	return func(ctx context.Context, to, dest, transport, text string) error {
		client, err := agent.Client(transport)
		if err != nil {
			return fmt.Errorf("MESSAGE reply to %s: %w", to, err)
		}
		s.Client = client
		return s.SendMessageTo(ctx, to, dest, transport, text)
	}
}

// statusText is the reply to the "status" command.
func (s *simple) statusText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "Door station: " + s.status.Text() + "."
}

// openAsync releases the door for a MESSAGE command without blocking the
// SIP handler; a failure is logged.
func (c *core) openAsync(ctx context.Context, dev *device.Device, log *slog.Logger, who string) {
	go func() {
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := dev.OpenDoor(octx, who); err != nil && ctx.Err() == nil {
			log.Warn("door not opened for MESSAGE", "who", who, "err", err)
		}
	}()
}

// identity returns our presentity (the first account's address of
// record, else our contact, sip:user@host:port) and our contact URI.
func identity(agent *ua.UA) (entity, contact string) {
	ct := agent.Contact("udp")
	contact = ct.Address.String()
	if id, ok := agent.Primary(); ok {
		return id.AOR.String(), contact
	}
	return contact, contact
}

// entityURI parses an entity built by identity.
func entityURI(s string) sip.Uri {
	var u sip.Uri
	_ = sip.ParseUri(s, &u)
	return u
}
