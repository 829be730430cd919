package presence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// SIPMWISender is the MWISender for a sipgo client: a SUBSCRIBE with
// Event: message-summary for the account (Request-URI, From and To), one
// digest challenge answered; a refresh goes within the dialog the last
// success made (its Call-ID, tags and the next CSeq).
type SIPMWISender struct {
	Client *sipgo.Client
	// Account is the address of record whose voicemail is watched.
	Account sip.Uri
	// Destination is the host:port the request goes to (the registrar or
	// outbound proxy); "" sends it to the Account's host and port.
	Destination string
	// Route, when set, is asked before each request where it goes,
	// instead of Destination (see SIPSender).
	Route Router
	// Clients returns the client for a transport Route names other than
	// Transport; nil keeps Client.
	Clients Clients
	// Transport is "udp" (default), "tcp" or "tls".
	Transport    string
	User, Secret string // digest credentials (Secret: the password)
	// Contact is where the NOTIFYs come (ours).
	Contact sip.ContactHeader
	// Contacts, when set, gives our Contact for the transport the
	// SUBSCRIBE goes over, in place of Contact: Route may choose another
	// transport than Transport (DNS says TCP), and the NOTIFYs should
	// come back over the one the subscription went over.
	Contacts func(transport string) sip.ContactHeader

	mu                     sync.Mutex
	callID, fromTag, toTag string
	cseq                   uint32
}

// SubscribeMWI implements MWISender.
func (s *SIPMWISender) SubscribeMWI(ctx context.Context, expires time.Duration, refresh bool) (MWIResponse, error) {
	req := s.request(expires, refresh)
	c, err := route(ctx, s.Route, s.Clients, s.Client, s.Transport, req, "SUBSCRIBE message-summary "+s.Account.String())
	if err != nil {
		return MWIResponse{}, err
	}
	if s.Contacts != nil {
		contact := s.Contacts(strings.ToLower(req.Transport()))
		req.ReplaceHeader(&contact)
	}
	res, err := c.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && s.User != "" {
		res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: s.User, Password: s.Secret})
	}
	if err != nil {
		return MWIResponse{}, fmt.Errorf("SUBSCRIBE message-summary %s: %w", s.Account.String(), err)
	}
	if res.StatusCode/100 == 2 {
		s.mu.Lock()
		if to := res.To(); to != nil {
			s.toTag, _ = to.Params.Get("tag")
		}
		if c := res.CSeq(); c != nil { // the digest retry's, if there was one
			s.cseq = c.SeqNo
		}
		s.mu.Unlock()
	}
	return MWIResponse{Status: res.StatusCode, Expires: seconds(headerValue(res, "Expires")),
		MinExpires: seconds(headerValue(res, "Min-Expires")), RetryAfter: seconds(headerValue(res, "Retry-After"))}, nil
}

func (s *SIPMWISender) request(expires time.Duration, refresh bool) *sip.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !refresh || s.callID == "" {
		s.callID, s.fromTag, s.toTag, s.cseq = sip.GenerateTagN(24), sip.GenerateTagN(10), "", 0
	}
	s.cseq++
	uri := s.Account
	if tr := strings.ToLower(s.Transport); tr != "" && tr != "udp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: tr}}
	}
	req := sip.NewRequest(sip.SUBSCRIBE, uri)
	from := &sip.FromHeader{Address: s.Account, Params: sip.NewParams()}
	from.Params.Add("tag", s.fromTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: s.Account, Params: sip.NewParams()}
	if s.toTag != "" {
		to.Params.Add("tag", s.toTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(s.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.SUBSCRIBE})
	contact := s.Contact
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Event", "message-summary"))
	req.AppendHeader(sip.NewHeader("Accept", "application/simple-message-summary"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	if s.Destination != "" {
		req.SetDestination(s.Destination)
	}
	return req
}
