package presence_test

import (
	"context"
	"net/netip"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/ua/presence"
)

// Example shows the wiring cmd/sipbell does: one publisher, the watcher
// manager and the MESSAGE handler on the UA's sipgo server and clients.
func Example() {
	ctx := context.Background()
	cfg := presence.DefaultConfig()
	var (
		srv      *sipgo.Server // the UA's server
		client   *sipgo.Client // the UA's client for the account's transport
		aor      = sip.Uri{Scheme: "sip", User: "door", Host: "pbx.example"}
		contact  = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "door", Host: "192.0.2.10", Port: 5060}}
		trusted  = func(netip.AddrPort) bool { return false }                                    // ua: from an account's registrar/proxy
		admitted = func(string, netip.AddrPort) bool { return false }                            // ua: allow_from networks
		admit    = func(*sip.Request, sip.ServerTransaction) (string, bool) { return "", false } // ua.UA.Admit: verified identity
		mayOpen  = func(identity string) bool { return false }                                   // device: door.allowed
		openDoor = func(who string) {}                                                           // device: pulse the relay
	)
	pub, _ := presence.NewPublisher(&presence.SIPSender{Client: client, Entity: aor, Destination: "pbx.example:5060",
		User: "door", Secret: "password"}, cfg.PublisherConfig(aor.String(), contact.Address.String()), clockwork.NewRealClock(), nil)
	go pub.Run(ctx)

	m, _ := presence.NewManager(cfg.ManagerConfig(aor.String(), contact.Address.String()),
		func(r presence.SubscribeRequest) bool { return trusted(r.Source) || admitted(r.From, r.Source) }, nil, nil)
	w := &presence.SIPWatchers{Manager: m,
		Client:  func(string) (*sipgo.Client, error) { return client, nil },
		Contact: func(string) sip.ContactHeader { return contact }}
	srv.OnSubscribe(w.OnSubscribe)

	reply := &presence.SIPMessageSender{Client: client, From: aor, Destination: "pbx.example:5060", User: "door", Secret: "password"}
	h := &presence.SIPMessages{Commands: presence.NewCommands(cfg.CommandConfig(), func() string { return "idle" }, nil),
		Admit: admit, MayOpen: mayOpen, Open: openDoor, Reply: reply.SendMessage}
	srv.OnMessage(h.OnMessage)

	// On every device event: st, changed := tracker.Apply(ev) (notify.PresenceTracker)
	st := presence.Status{State: presence.Ringing}
	pub.Set(st)
	m.Set(st)
	_ = m.Shutdown(ctx) // at exit, before the UA closes its sockets
}
