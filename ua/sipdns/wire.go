package sipdns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// typeNAPTR is the NAPTR record type (RFC 3403), which dnsmessage does
// not know by name.
const typeNAPTR dnsmessage.Type = 35

// Bounds on what one answer may make us keep.
const (
	maxRecords  = 64   // answer records looked at
	maxUDPSize  = 1232 // EDNS0 payload size we announce (and read)
	maxCNAMEs   = 8    // CNAME chain length followed within an answer
	maxNameSize = 255
)

var (
	// errMismatch is an answer to another query (ID or question differ).
	errMismatch = errors.New("answer to another query")
	// errTruncated is a UDP answer with the TC bit: ask again over TCP.
	errTruncated = errors.New("truncated answer")
)

// srvRecord is one SRV record (RFC 2782).
type srvRecord struct {
	Priority, Weight, Port uint16
	Target                 string // lower case, with the trailing dot
}

// naptrRecord is one NAPTR record (RFC 3403).
type naptrRecord struct {
	Order, Preference            uint16
	Flags, Services, Regexp, Rep string // Rep: replacement, lower case with the trailing dot
}

// answer is what one query found.
type answer struct {
	Addrs  []netip.Addr
	SRV    []srvRecord
	NAPTR  []naptrRecord
	TTL    time.Duration // the smallest TTL of the records used, or the negative TTL
	NoData bool          // NXDOMAIN or no record of the type
}

// buildQuery returns a query for name (absolute, with the trailing dot)
// and type, with an EDNS0 record announcing maxUDPSize.
func buildQuery(id uint16, name string, qtype dnsmessage.Type) ([]byte, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, fmt.Errorf("sipdns: query %q: %w", name, err)
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: qtype, Class: dnsmessage.ClassINET}); err != nil {
		return nil, fmt.Errorf("sipdns: query %q: %w", name, err)
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	var rh dnsmessage.ResourceHeader
	if err := rh.SetEDNS0(maxUDPSize, dnsmessage.RCodeSuccess, false); err != nil {
		return nil, err
	}
	if err := b.OPTResource(rh, dnsmessage.OPTResource{}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// parseAnswer reads msg as the answer to query id for name and qtype.
// NXDOMAIN and an answer without a record of the type come back as an
// answer with NoData and the negative TTL (RFC 2308) and ErrNotFound;
// other error codes as ErrServerFailure.
func parseAnswer(msg []byte, id uint16, name string, qtype dnsmessage.Type) (answer, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return answer{}, fmt.Errorf("sipdns: %w: %v", ErrMalformed, err)
	}
	if h.ID != id || !h.Response {
		return answer{}, errMismatch
	}
	q, err := p.Question()
	if err != nil || q.Type != qtype || !strings.EqualFold(q.Name.String(), name) {
		return answer{}, errMismatch
	}
	if err := p.SkipAllQuestions(); err != nil {
		return answer{}, fmt.Errorf("sipdns: %w: %v", ErrMalformed, err)
	}
	if h.Truncated {
		return answer{}, errTruncated
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return negative(&p, name)
	default:
		return answer{}, fmt.Errorf("sipdns: %s %s: %w (%s)", typeName(qtype), name, ErrServerFailure, h.RCode)
	}
	a, err := readAnswers(&p, name, qtype)
	if err != nil {
		return answer{}, err
	}
	if len(a.Addrs)+len(a.SRV)+len(a.NAPTR) == 0 {
		return negative(&p, name)
	}
	return a, nil
}

// record is one answer record before the CNAME chain is known.
type record struct {
	name  string
	ttl   uint32
	cname string
	addr  netip.Addr
	srv   *srvRecord
	naptr *naptrRecord
}

// readAnswers collects the records of qtype owned by name or by a name
// that name is a CNAME of (the chain as given in the answer).
func readAnswers(p *dnsmessage.Parser, name string, qtype dnsmessage.Type) (answer, error) {
	var recs []record
	for i := 0; i < maxRecords; i++ {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return answer{}, fmt.Errorf("sipdns: %w: %v", ErrMalformed, err)
		}
		r, err := readRecord(p, rh, qtype)
		if err != nil {
			return answer{}, err
		}
		if r != nil {
			recs = append(recs, *r)
		}
	}
	owners := map[string]bool{strings.ToLower(name): true}
	for i := 0; i < maxCNAMEs; i++ {
		grew := false
		for _, r := range recs {
			if r.cname != "" && owners[r.name] && !owners[r.cname] {
				owners[r.cname], grew = true, true
			}
		}
		if !grew {
			break
		}
	}
	var a answer
	ttl := uint32(1<<31 - 1)
	for _, r := range recs {
		if !owners[r.name] {
			continue
		}
		switch {
		case r.addr.IsValid():
			a.Addrs = append(a.Addrs, r.addr)
		case r.srv != nil:
			a.SRV = append(a.SRV, *r.srv)
		case r.naptr != nil:
			a.NAPTR = append(a.NAPTR, *r.naptr)
		default:
			continue // a CNAME: its TTL bounds the chain too, but the chain is re-read each time
		}
		ttl = min(ttl, r.ttl)
	}
	a.TTL = time.Duration(ttl) * time.Second
	return a, nil
}

// readRecord reads the body of the record whose header is rh: nil for
// records of no interest (skipped).
func readRecord(p *dnsmessage.Parser, rh dnsmessage.ResourceHeader, qtype dnsmessage.Type) (*record, error) {
	r := &record{name: strings.ToLower(rh.Name.String()), ttl: rh.TTL}
	var err error
	switch {
	case rh.Class != dnsmessage.ClassINET:
		return nil, skip(p)
	case rh.Type == dnsmessage.TypeCNAME:
		var c dnsmessage.CNAMEResource
		c, err = p.CNAMEResource()
		r.cname = strings.ToLower(c.CNAME.String())
	case rh.Type != qtype:
		return nil, skip(p)
	case qtype == dnsmessage.TypeA:
		var v dnsmessage.AResource
		v, err = p.AResource()
		r.addr = netip.AddrFrom4(v.A)
	case qtype == dnsmessage.TypeAAAA:
		var v dnsmessage.AAAAResource
		v, err = p.AAAAResource()
		r.addr = netip.AddrFrom16(v.AAAA)
	case qtype == dnsmessage.TypeSRV:
		var v dnsmessage.SRVResource
		v, err = p.SRVResource()
		r.srv = &srvRecord{Priority: v.Priority, Weight: v.Weight, Port: v.Port, Target: strings.ToLower(v.Target.String())}
	case qtype == typeNAPTR:
		var v dnsmessage.UnknownResource
		v, err = p.UnknownResource()
		if err == nil {
			var n naptrRecord
			n, err = parseNAPTR(v.Data)
			r.naptr = &n
		}
	default:
		return nil, skip(p)
	}
	if err != nil {
		return nil, fmt.Errorf("sipdns: %w: %s record: %v", ErrMalformed, rh.Type, err)
	}
	return r, nil
}

func skip(p *dnsmessage.Parser) error {
	if err := p.SkipAnswer(); err != nil {
		return fmt.Errorf("sipdns: %w: %v", ErrMalformed, err)
	}
	return nil
}

// negative reads the SOA of the authority section for the negative TTL
// (RFC 2308 §5: the smaller of its TTL and its MINIMUM); none gives
// defaultNegativeTTL.
func negative(p *dnsmessage.Parser, name string) (answer, error) {
	a := answer{NoData: true, TTL: defaultNegativeTTL}
	if err := p.SkipAllAnswers(); err == nil {
		for i := 0; i < maxRecords; i++ {
			rh, err := p.AuthorityHeader()
			if err != nil {
				break
			}
			if rh.Type != dnsmessage.TypeSOA {
				if p.SkipAuthority() != nil {
					break
				}
				continue
			}
			soa, err := p.SOAResource()
			if err != nil {
				break
			}
			a.TTL = time.Duration(min(rh.TTL, soa.MinTTL)) * time.Second
			break
		}
	}
	return a, fmt.Errorf("sipdns: %s: %w", name, ErrNotFound)
}

// parseNAPTR reads NAPTR RDATA (RFC 3403 §4.1): order, preference, three
// character strings and an uncompressed replacement name.
func parseNAPTR(b []byte) (naptrRecord, error) {
	var n naptrRecord
	if len(b) < 4 {
		return n, errors.New("short NAPTR")
	}
	n.Order, n.Preference = uint16(b[0])<<8|uint16(b[1]), uint16(b[2])<<8|uint16(b[3])
	b = b[4:]
	for _, dst := range []*string{&n.Flags, &n.Services, &n.Regexp} {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return n, errors.New("NAPTR character string overruns the record")
		}
		*dst, b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
	}
	name, rest, err := readName(b)
	if err != nil {
		return n, err
	}
	if len(rest) != 0 {
		return n, errors.New("NAPTR has bytes after the replacement")
	}
	n.Rep = strings.ToLower(name)
	return n, nil
}

// readName reads an uncompressed domain name (compression is not allowed
// in NAPTR RDATA) and returns it with the trailing dot.
func readName(b []byte) (string, []byte, error) {
	var sb strings.Builder
	for {
		if len(b) == 0 {
			return "", nil, errors.New("name overruns the record")
		}
		l := int(b[0])
		b = b[1:]
		if l == 0 {
			break
		}
		if l > 63 || l > len(b) {
			return "", nil, errors.New("bad label in name (compressed or too long)")
		}
		sb.Write(b[:l])
		sb.WriteByte('.')
		if sb.Len() > maxNameSize {
			return "", nil, errors.New("name too long")
		}
		b = b[l:]
	}
	if sb.Len() == 0 {
		return ".", b, nil
	}
	return sb.String(), b, nil
}

func typeName(t dnsmessage.Type) string {
	if t == typeNAPTR {
		return "NAPTR"
	}
	return strings.TrimPrefix(t.String(), "Type")
}
