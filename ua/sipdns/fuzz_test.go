package sipdns

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// FuzzParseAnswer feeds arbitrary bytes to the answer parser as answers
// to each query type: it must return an answer or an error, never panic,
// and keep within its record bounds.
func FuzzParseAnswer(f *testing.F) {
	fd := &fakeDNS{z: testZone(), n: map[string]int{}}
	for _, q := range []struct {
		name string
		t    dnsmessage.Type
	}{{"pbx.test.", typeNAPTR}, {"_sip._udp.pbx.test.", dnsmessage.TypeSRV}, {"b.pbx.test.", dnsmessage.TypeAAAA}, {"nosuch.test.", dnsmessage.TypeA}} {
		msg, err := buildQuery(7, q.name, q.t)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fd.answer(msg, "udp"))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) < 2 {
			return
		}
		id := uint16(msg[0])<<8 | uint16(msg[1])
		for _, qt := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA, dnsmessage.TypeSRV, typeNAPTR} {
			a, _ := parseAnswer(msg, id, "pbx.test.", qt)
			if len(a.Addrs)+len(a.SRV)+len(a.NAPTR) > maxRecords {
				t.Fatalf("%d records kept, bound is %d", len(a.Addrs)+len(a.SRV)+len(a.NAPTR), maxRecords)
			}
		}
		_, _ = parseNAPTR(msg)
	})
}
