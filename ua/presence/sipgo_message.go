package presence

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// SIPMessages adapts Commands to a sipgo server: install OnMessage as the
// MESSAGE handler.
type SIPMessages struct {
	Commands *Commands
	// Admit decides whether req is admitted and who sent it, as the user
	// agent does for calls (ua.UA.Admit: the identity a trusted proxy
	// asserts, a digest challenge, the source network); identity is ""
	// when nothing was verified. When it reports false it has answered
	// req (401 or 403) itself. nil admits nobody.
	Admit func(req *sip.Request, tx sip.ServerTransaction) (identity string, ok bool)
	// MayOpen reports whether a verified identity may open the door
	// (device.door.allowed); nil: none may (only the secret opens).
	MayOpen func(identity string) bool
	// Open releases the door (the device's relay); who is the verified
	// identity, or the From URI when the secret opened it. It is called
	// before the answer is sent and must not block.
	Open func(who string)
	// Reply sends a text back to a sender in a new MESSAGE through the
	// account's server; nil: no replies.
	Reply func(ctx context.Context, to, text string) error
	// Through reports whether a request from source came through one of
	// the account's servers (ua.UA.Trusted): replies to it go back through
	// Reply. Replies to anyone else (a phone that is not registered, a
	// peer-to-peer sender) go straight to the address the request came
	// from, with Direct. nil: every sender counts as not through a server.
	Through func(source netip.AddrPort) bool
	// Direct sends a text to the sender at dest (host:port, the request's
	// source; never an address a header names) over transport ("udp",
	// "tcp", "tls"); nil: Reply is used for every sender.
	Direct func(ctx context.Context, to, dest, transport, text string) error
	Log    *slog.Logger
}

// OnMessage handles one MESSAGE request.
func (h *SIPMessages) OnMessage(req *sip.Request, tx sip.ServerTransaction) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src, _ := netip.ParseAddrPort(req.Source())
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	m := IncomingMessage{Body: req.Body()}
	if f := req.From(); f != nil {
		m.From = f.Address.String()
	}
	if ct := req.ContentType(); ct != nil {
		m.ContentType = ct.Value()
	}
	if h.Admit == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 403, messageReason(403), nil))
		return
	}
	id, ok := h.Admit(req, tx)
	if !ok {
		return // answered (and logged, rate-limited) by Admit
	}
	m.Allowed, m.Identity = true, id
	m.MayOpen = id != "" && h.MayOpen != nil && h.MayOpen(id)
	d := h.Commands.Handle(m)
	if d.Open && h.Open != nil { // before the answer: the sender sees 200 once the door is told
		who := m.Identity
		if who == "" {
			who = m.From
		}
		h.Open(who)
	}
	res := sip.NewResponseFromRequest(req, d.Status, messageReason(d.Status), nil)
	if d.Status == 415 {
		res.AppendHeader(sip.NewHeader("Accept", "text/plain"))
	}
	_ = tx.Respond(res)
	lvl := slog.LevelInfo
	if d.Status >= 400 || (d.Command == CmdOpen && !d.Open) {
		lvl = slog.LevelWarn
	}
	log.Log(context.Background(), lvl, "MESSAGE: "+d.Log, "source", src.String(), "command", d.Command.String(), "code", d.Status)
	if d.Reply != "" && d.Status < 300 {
		h.reply(log, m.From, src, strings.ToLower(req.Transport()), d.Reply)
	}
}

// reply sends text back to the sender of a MESSAGE from src in a new
// transaction, without holding the handler: through the account's server
// when the request came through it, else straight back to src.
func (h *SIPMessages) reply(log *slog.Logger, to string, src netip.AddrPort, transport, text string) {
	send := h.Reply
	how := "through the account's server"
	if h.Direct != nil && src.IsValid() && (h.Through == nil || !h.Through(src)) {
		dest := src.String()
		send = func(ctx context.Context, to, text string) error { return h.Direct(ctx, to, dest, transport, text) }
		how = "to " + dest
	}
	if send == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
		defer cancel()
		if err := send(ctx, to, text); err != nil {
			log.Info("MESSAGE reply failed", "to", to, "via", how, "err", err)
		}
	}()
}

func messageReason(code int) string {
	switch code {
	case 200:
		return "OK"
	case 403:
		return "Forbidden"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	}
	return "Error"
}

// SIPMessageSender sends text/plain MESSAGEs (RFC 3428) with a sipgo
// client; it implements notify.MessageSender.
type SIPMessageSender struct {
	Client *sipgo.Client
	From   sip.Uri // our address of record
	// Destination is the host:port requests go to (the account's registrar
	// or outbound proxy); "" sends to the target's host.
	Destination string
	// Route, when set, is asked before each SendMessage where it goes,
	// instead of Destination (see SIPSender).
	Route Router
	// Clients returns the client for a transport other than UDP (for
	// Route and SendMessageTo); nil keeps Client.
	Clients      Clients
	User, Secret string // digest credentials
	DisplayName  string
}

// SendMessage sends text to the SIP URI to and waits for a 2xx.
func (s *SIPMessageSender) SendMessage(ctx context.Context, to, text string) error {
	dst, tr := s.Destination, ""
	if s.Route != nil {
		d, t, err := s.Route(ctx)
		if err != nil {
			return fmt.Errorf("MESSAGE to %s: %w", to, err)
		}
		dst, tr = d, t
	}
	return s.send(ctx, to, dst, tr, text)
}

// SendMessageTo sends text to the SIP URI to at dest (host:port) over
// transport ("" or "udp", "tcp", "tls") instead of the Destination, and
// waits for a 2xx.
func (s *SIPMessageSender) SendMessageTo(ctx context.Context, to, dest, transport, text string) error {
	if dest == "" {
		return fmt.Errorf("MESSAGE to %q: no destination: %w", to, ErrInvalid)
	}
	return s.send(ctx, to, dest, transport, text)
}

func (s *SIPMessageSender) send(ctx context.Context, to, dest, transport, text string) error {
	var target sip.Uri
	if err := sip.ParseUri(strings.TrimSpace(to), &target); err != nil || target.Host == "" {
		return fmt.Errorf("MESSAGE to %q: not a SIP URI", to)
	}
	if len(text) > MaxMessageBody {
		return fmt.Errorf("MESSAGE to %s: %d bytes, limit %d: %w", to, len(text), MaxMessageBody, ErrTooLarge)
	}
	req := sip.NewRequest(sip.MESSAGE, target)
	from := &sip.FromHeader{DisplayName: s.DisplayName, Address: s.From, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(text))
	if dest != "" {
		req.SetDestination(dest)
	}
	c := s.Client
	if transport = strings.ToLower(transport); transport != "" && transport != "udp" {
		req.SetTransport(strings.ToUpper(transport))
		if s.Clients != nil {
			var err error
			if c, err = s.Clients(transport); err != nil {
				return fmt.Errorf("MESSAGE to %s: %w", to, err)
			}
		}
	}
	res, err := c.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && s.User != "" {
		res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: s.User, Password: s.Secret})
	}
	if err != nil {
		return fmt.Errorf("MESSAGE to %s: %w", to, err)
	}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		return &ResponseError{Method: "MESSAGE", Target: to, Code: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// ResponseError is a final non-2xx answer to a request.
type ResponseError struct {
	Method, Target string
	Code           int
	Reason         string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s to %s: answered %d %s", e.Method, e.Target, e.Code, e.Reason)
}
