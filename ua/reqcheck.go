package ua

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// The request checks sipgo does not make, applied by the guard to every
// UDP request that passed its limits (RFC 3261 §8.2, RFC 4475, RFC 5118):
// a malformed request gets a 400 instead of silence, a wrong version 505,
// an unknown method 501, an unsupported URI scheme 416, an unknown
// required extension 420, a body sipbell cannot read 415, an INVITE that
// accepts no SDP 406. These answers are stateless (sent straight back to
// the source, no transaction). Valid requests that sipgo would refuse for
// want of a From tag (RFC 2543 peers, LWS around "tag =") are normalised.

// knownMethods are the methods of RFC 3261 and its extensions: one of them
// that sipbell does not take is 405 (not allowed), anything else 501.
var knownMethods = map[string]bool{"INVITE": true, "ACK": true, "CANCEL": true, "BYE": true,
	"OPTIONS": true, "REGISTER": true, "INFO": true, "PRACK": true, "UPDATE": true, "SUBSCRIBE": true,
	"NOTIFY": true, "REFER": true, "MESSAGE": true, "PUBLISH": true}

// singleHeaders may appear once in a request (RFC 3261 §7.3.1, §20);
// lowerSingle are their names as sip.HeaderToLower gives them.
var (
	singleHeaders = [...]string{"Call-ID", "To", "From", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}
	lowerSingle   = func() (l [len(singleHeaders)]string) {
		for i, h := range singleHeaders {
			l[i] = sip.HeaderToLower(h)
		}
		return l
	}()
)

// checkParser parses the requests the guard checks: one for all (a
// sip.Parser keeps no state between messages; sipgo shares its own the
// same way).
var checkParser = sip.NewParser()

// refusal is a refusal: the status code, why (for the log) and headers
// to add.
type refusal struct {
	code int
	why  string
	hdrs []sip.Header
}

// precheckUDP answers what must be refused and returns nil, or returns the
// datagram (possibly normalised) for sipgo to handle.
func (g *guard) precheckUDP(ap netip.AddrPort, data []byte) []byte {
	fwd, answer := g.precheck(ap, data)
	if answer != nil {
		if p := g.conn.Load(); p != nil && *p != nil {
			_, _ = (*p).WriteTo(answer, net.UDPAddrFromAddrPort(ap))
		}
	}
	return fwd
}

// precheck checks one whole message from ap (a datagram, or a message
// framed from a TCP stream: tcpframe.go) and returns what sipgo should
// handle (the message, possibly normalised; nil when refused) and the
// stateless answer to send back (nil when none).
func (g *guard) precheck(ap netip.AddrPort, data []byte) (fwd, answer []byte) {
	if bytes.HasPrefix(data, []byte("SIP/")) {
		return data, nil // a response
	}
	if r := checkRequestLine(data); r != nil {
		return nil, g.refuseRaw(ap, data, *r)
	}
	msg, err := checkParser.ParseSIP(data)
	if err != nil {
		return nil, g.refuseRaw(ap, data, refusal{code: 400, why: "malformed: " + err.Error()})
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return data, nil
	}
	method, _, _ := bytes.Cut(data, []byte(" "))
	if r := checkRequest(req, string(method)); r != nil {
		return nil, g.refuse(ap, req, *r)
	}
	if normalise(req) {
		return []byte(req.String()), nil
	}
	return data, nil
}

// checkRequestLine checks "Method SP Request-URI SP SIP-Version" as sent.
func checkRequestLine(data []byte) *refusal {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	parts := bytes.Split(line, []byte(" "))
	if len(parts) != 3 || len(parts[0]) == 0 || len(parts[1]) == 0 || !isToken(parts[0]) {
		return &refusal{code: 400, why: "malformed request line"}
	}
	if v := parts[2]; !bytes.EqualFold(v, []byte("SIP/2.0")) {
		if isVersion(v) {
			return &refusal{code: 505, why: "unsupported SIP version " + string(v)}
		}
		return &refusal{code: 400, why: "malformed request line"}
	}
	uri := string(parts[1])
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !isScheme(scheme) {
		return &refusal{code: 400, why: "malformed Request-URI"}
	}
	switch strings.ToLower(scheme) {
	case "sip", "sips":
	case "tel":
		return nil
	default:
		return &refusal{code: 416, why: "unsupported URI scheme " + scheme}
	}
	// After the user part (where "?" and ";" are allowed characters):
	// the host, then parameters, then headers.
	host := rest
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if strings.Contains(host, "?") {
		return &refusal{code: 400, why: "headers in the Request-URI"}
	}
	if i := strings.IndexByte(host, ';'); i >= 0 {
		host = host[:i]
	}
	if !strings.HasPrefix(host, "[") && strings.Count(host, ":") > 1 {
		return &refusal{code: 400, why: "IPv6 reference without brackets"}
	}
	return nil
}

// checkRequest makes the checks of RFC 3261 §8.2 on a parsed request;
// method is as sent (sipgo upper-cases it; methods are case-sensitive).
func checkRequest(req *sip.Request, method string) *refusal {
	if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return &refusal{code: 400, why: "missing Via, From, To, Call-ID or CSeq"}
	}
	if h := repeatedSingle(req); h != "" {
		return &refusal{code: 400, why: "more than one " + h}
	}
	if strings.TrimLeft(string(req.CSeq().MethodName), " \t") != method { // sipgo keeps the LWS before it

		return &refusal{code: 400, why: "CSeq method differs from the request's"}
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() > 255 {
		return &refusal{code: 400, why: "Max-Forwards over 255"}
	}
	if !knownMethods[method] {
		return &refusal{code: 501, why: "unknown method", hdrs: []sip.Header{sip.NewHeader("Allow", AllowHeader())}}
	}
	if method == "ACK" || method == "CANCEL" {
		return nil
	}
	var unsupported []string
	for _, h := range req.GetHeaders("Require") {
		for _, opt := range strings.Split(h.Value(), ",") {
			if opt = strings.TrimSpace(opt); opt != "" && !supportedExtension(opt) {
				unsupported = append(unsupported, opt)
			}
		}
	}
	if len(unsupported) > 0 {
		return &refusal{code: 420, why: "unsupported extension required",
			hdrs: []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsupported, ", "))}}
	}
	if method != "INVITE" {
		return nil
	}
	accept := []sip.Header{sip.NewHeader("Accept", "application/sdp")}
	if ct := req.ContentType(); ct != nil && len(req.Body()) > 0 && !isSDP(ct.Value()) {
		return &refusal{code: 415, why: "body type " + ct.Value(), hdrs: accept}
	}
	if a := req.GetHeaders("Accept"); len(a) > 0 && !acceptsSDP(a) {
		return &refusal{code: 406, why: "SDP not acceptable to the caller", hdrs: accept}
	}
	return nil
}

// repeatedSingle returns the first of singleHeaders that req carries more
// than once, or "". One pass over the headers: req.GetHeaders would make
// a slice per name.
func repeatedSingle(req *sip.Request) string {
	var seen [len(singleHeaders)]int
	for _, h := range req.Headers() {
		name := sip.HeaderToLower(h.Name())
		for i, l := range lowerSingle {
			if name == l {
				seen[i]++
			}
		}
	}
	for i, n := range seen {
		if n > 1 {
			return singleHeaders[i]
		}
	}
	return ""
}

// normalise fixes what is valid but sipgo cannot take: LWS around From
// and To parameters ("tag = x"), more than one space between the CSeq
// number and method, and no From tag at all (RFC 2543), for which a tag is
// made from the request's identity (the same for every retransmission).
// It reports whether it changed anything.
func normalise(req *sip.Request) bool {
	changed := false
	if cs := req.CSeq(); cs != nil {
		if m := strings.TrimLeft(string(cs.MethodName), " \t"); m != string(cs.MethodName) {
			cs.MethodName, changed = sip.RequestMethod(m), true
		}
	}
	for _, p := range []*sip.HeaderParams{&req.From().Params, &req.To().Params} {
		if !untidy(*p) {
			continue // nothing to trim: no copy
		}
		clean := (*p)[:0:0]
		for _, kv := range *p {
			k, v := strings.TrimSpace(kv.K), strings.TrimSpace(kv.V)
			if k != kv.K || v != kv.V || k == "" {
				changed = true
			}
			if k != "" {
				clean = append(clean, sip.HeaderKV{K: k, V: v})
			}
		}
		*p = clean
	}
	if _, ok := req.From().Params.Get("tag"); !ok {
		sum := sha256.Sum256([]byte(req.CallID().Value() + "|" + req.From().Address.String() + "|" +
			fmt.Sprint(req.CSeq().SeqNo) + "|" + req.Via().Host))
		req.From().Params.Add("tag", "rfc2543-"+hex.EncodeToString(sum[:6]))
		changed = true
	}
	return changed
}

// untidy reports whether a parameter list has LWS around a name or value
// or an empty name (what normalise trims and drops).
func untidy(ps sip.HeaderParams) bool {
	for _, kv := range ps {
		if kv.K == "" || strings.TrimSpace(kv.K) != kv.K || strings.TrimSpace(kv.V) != kv.V {
			return true
		}
	}
	return false
}

func isSDP(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/sdp")
}

func acceptsSDP(hs []sip.Header) bool {
	for _, h := range hs {
		for _, r := range strings.Split(h.Value(), ",") {
			mt, _, _ := strings.Cut(r, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/sdp", "application/*", "*/*", "":
				return true
			}
		}
	}
	return false
}

// refuse returns the stateless answer to a parsed request from ap, and
// counts and logs the refusal.
func (g *guard) refuse(ap netip.AddrPort, req *sip.Request, r refusal) []byte {
	res := sip.NewResponseFromRequest(req, r.code, StatusText(r.code), nil)
	for _, h := range r.hdrs {
		res.AppendHeader(h)
	}
	g.account(ap, r)
	return []byte(res.String())
}

// refuseRaw returns the answer to a request sipgo cannot parse (the
// status line and whatever Via, From, To, Call-ID and CSeq can be read
// from it), and counts and logs the refusal.
func (g *guard) refuseRaw(ap netip.AddrPort, data []byte, r refusal) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", r.code, StatusText(r.code))
	for _, name := range []string{"via", "from", "to", "call-id", "cseq"} {
		for _, v := range rawHeaders(data, name) {
			b.WriteString(canonical[name] + ": ")
			b.Write(v)
			if name == "to" && !bytes.Contains(bytes.ToLower(v), []byte("tag=")) {
				b.WriteString(";tag=sipbell-refused")
			}
			b.WriteString("\r\n")
		}
	}
	for _, h := range r.hdrs {
		b.WriteString(h.Name() + ": " + h.Value() + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	g.account(ap, r)
	return b.Bytes()
}

var canonical = map[string]string{"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}
var compact = map[string]string{"via": "v", "from": "f", "to": "t", "call-id": "i"}

// account counts and logs (rate-limited) a refusal to ap; a malformed
// request counts against the source (blocked when it keeps failing).
func (g *guard) account(ap netip.AddrPort, r refusal) {
	if r.code == 400 {
		g.fail(ap)
	}
	g.dropped[dropMalformed].Add(1)
	g.logs.Log(slog.LevelInfo, ap.Addr().String(), fmt.Sprintf("sip: request refused: %d %s", r.code, StatusText(r.code)), "why", r.why)
}

// rawHeaders returns the one-line values of the headers called name (or
// its compact form) in a raw message.
func rawHeaders(data []byte, name string) [][]byte {
	var out [][]byte
	first := true
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimRight(line, "\r")
		if first {
			first = false
			continue
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		k = bytes.TrimSpace(k)
		if ok && (bytes.EqualFold(k, []byte(name)) || compact[name] != "" && bytes.EqualFold(k, []byte(compact[name]))) {
			out = append(out, bytes.TrimSpace(v))
		}
	}
	return out
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0) {
			return false
		}
	}
	return true
}

func isScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isVersion reports whether v looks like SIP/<digits>.<digits>.
func isVersion(v []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.ToUpper(v), []byte("SIP/"))
	if !ok {
		return false
	}
	maj, min, ok := bytes.Cut(rest, []byte("."))
	return ok && len(maj) > 0 && len(min) > 0 && len(bytes.Trim(maj, "0123456789")) == 0 && len(bytes.Trim(min, "0123456789")) == 0
}

// checked runs the request checks in front of h for requests that came
// over TCP or TLS (UDP ones were checked by the guard before parsing):
// a refusal is answered here and h not called.
func (u *UA) checked(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !sip.IsReliable(req.Transport()) || req.IsAck() {
			h(req, tx)
			return
		}
		// sipgo upper-cases the method it parsed; the CSeq keeps it as sent.
		method := string(req.Method)
		if cs := req.CSeq(); cs != nil && strings.EqualFold(string(cs.MethodName), method) {
			method = string(cs.MethodName)
		}
		r := checkRequest(req, method)
		if r == nil && req.SipVersion != "SIP/2.0" {
			r = &refusal{code: 505, why: "unsupported SIP version " + req.SipVersion}
		}
		if r == nil {
			switch strings.ToLower(req.Recipient.Scheme) {
			case "sip", "sips", "tel":
			default:
				r = &refusal{code: 416, why: "unsupported URI scheme " + req.Recipient.Scheme}
			}
		}
		if r == nil {
			h(req, tx)
			return
		}
		u.guard.dropped[dropMalformed].Add(1)
		u.logStranger(req, fmt.Sprintf("sip: request refused: %d %s", r.code, StatusText(r.code)), "why", r.why)
		u.respondStateless(tx, req, r.code, r.hdrs...)
	}
}

// supportedExtension reports whether a Require option is one sipbell
// does: timer (RFC 4028, sessiontimer.go), replaces (RFC 3891: a pickup
// names the call it takes over, pickup.go) and 100rel (RFC 3262: a
// reliable 180, prack.go).
func supportedExtension(opt string) bool {
	return strings.EqualFold(opt, "timer") || strings.EqualFold(opt, "replaces") || strings.EqualFold(opt, "100rel")
}
