package presence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// SIPSender is the Sender for a sipgo client: it builds each PUBLISH
// afresh (new Via branch), answers one digest challenge (401/407) with
// the credentials, and reduces the final response to a PublishResponse.
type SIPSender struct {
	Client *sipgo.Client
	// Entity is the presentity (the account's address of record): the
	// Request-URI, From and To of every PUBLISH.
	Entity sip.Uri
	// Destination is the host:port the request goes to (presence server or
	// outbound proxy); "" sends it to the Entity's host and port.
	Destination string
	// Route, when set, is asked before each request where it goes
	// (host:port and transport) instead of Destination: the server the
	// account's registration reaches, so a domain name is resolved as for
	// it, over the transport the registration uses.
	Route Router
	// Clients returns the client for a transport Route names other than
	// Transport; nil keeps Client.
	Clients Clients
	// Transport is "udp" (default), "tcp" or "tls".
	Transport    string
	User, Secret string // digest credentials (Secret: the password)
	DisplayName  string
}

// Router returns the host:port a request goes to now and the transport
// to it ("" for the sender's own), as ua's PrimaryRoute does.
type Router func(ctx context.Context) (dest, transport string, err error)

// Clients returns the sipgo client for a transport (ua's Client).
type Clients func(transport string) (*sipgo.Client, error)

// route sets req's destination and transport from r, when set, and
// returns the client to send it with: c, or the one clients gives for
// another transport. what the error says names method and target.
func route(ctx context.Context, r Router, clients Clients, c *sipgo.Client, own string, req *sip.Request, what string) (*sipgo.Client, error) {
	if r == nil {
		return c, nil
	}
	dst, tr, err := r(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.SetDestination(dst)
	if own == "" {
		own = "udp"
	}
	if tr == "" || strings.EqualFold(tr, own) || clients == nil {
		return c, nil
	}
	req.SetTransport(strings.ToUpper(tr))
	if c, err = clients(strings.ToLower(tr)); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// Publish implements Sender.
func (s *SIPSender) Publish(ctx context.Context, r PublishRequest) (PublishResponse, error) {
	req := s.request(r)
	c, err := route(ctx, s.Route, s.Clients, s.Client, s.Transport, req, "PUBLISH "+s.Entity.String())
	if err != nil {
		return PublishResponse{}, err
	}
	res, err := c.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && s.User != "" {
		res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: s.User, Password: s.Secret})
	}
	if err != nil {
		return PublishResponse{}, fmt.Errorf("PUBLISH %s: %w", s.Entity.String(), err)
	}
	return PublishResponse{Status: res.StatusCode, ETag: headerValue(res, "SIP-ETag"),
		Expires: seconds(headerValue(res, "Expires")), MinExpires: seconds(headerValue(res, "Min-Expires")),
		RetryAfter: seconds(headerValue(res, "Retry-After"))}, nil
}

func (s *SIPSender) request(r PublishRequest) *sip.Request {
	uri := s.Entity
	tr := strings.ToLower(s.Transport)
	if tr != "" && tr != "udp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: tr}}
	}
	req := sip.NewRequest(sip.PUBLISH, uri)
	from := &sip.FromHeader{DisplayName: s.DisplayName, Address: s.Entity, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: s.Entity, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Event", "presence"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(r.Expires/time.Second))))
	if r.IfMatch != "" {
		req.AppendHeader(sip.NewHeader("SIP-If-Match", r.IfMatch))
	}
	if len(r.Body) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", r.ContentType))
		req.SetBody(r.Body)
	}
	if s.Destination != "" {
		req.SetDestination(s.Destination)
	}
	return req
}

// headerValue returns the trimmed value of the first header called name.
func headerValue(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return strings.TrimSpace(h.Value())
	}
	return ""
}

// seconds parses a delta-seconds header value ("120", "120;duration=60"
// or "120 (comment)"); 0 when absent or invalid.
func seconds(v string) time.Duration {
	if i := strings.IndexAny(v, "; \t("); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0
	}
	return time.Duration(n) * time.Second
}
