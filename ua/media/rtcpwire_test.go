package media

import (
	"errors"
	"testing"

	"github.com/pion/rtcp"
)

// TestParseRTCP: the reports of a compound datagram come out, the other
// packet types are skipped, and a broken header or length is an error.
func TestParseRTCP(t *testing.T) {
	marshal := func(pkts ...rtcp.Packet) []byte {
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sr := &rtcp.SenderReport{SSRC: 7, NTPTime: 0x1122334455667788, RTPTime: 160, PacketCount: 3, OctetCount: 480,
		Reports: []rtcp.ReceptionReport{{SSRC: 9, TotalLost: 4, LastSequenceNumber: 100}}}
	rr := &rtcp.ReceiverReport{SSRC: 8, Reports: []rtcp.ReceptionReport{{SSRC: 9, FractionLost: 3}}}
	sdes := rtcp.NewCNAMESourceDescription(7, "peer@127.0.0.1")
	bye := &rtcp.Goodbye{Sources: []uint32{7}, Reason: "done"}
	app := []byte{0x80, 204, 0, 2, 0, 0, 0, 7, 'P', 'I', 'N', 'G'} // baresip's APP "PING"
	good := marshal(sr, sdes)
	tests := []struct {
		name  string
		in    []byte
		types []string // the packets returned, in order
		err   error    // nil: no error; errAny: any error
	}{
		{"SR and SDES", good, []string{"SR"}, nil},
		{"RR, SDES and BYE", marshal(rr, sdes, bye), []string{"RR"}, nil},
		{"SR then RR", marshal(sr, rr), []string{"SR", "RR"}, nil},
		{"APP only", app, nil, nil},
		{"empty", nil, nil, errRTCPEmpty},
		{"length past the end", good[:len(good)-4], nil, errRTCPShort},
		{"not version 2", append([]byte{0x40}, good[1:]...), nil, errAny},
		{"three bytes", good[:3], nil, errAny},
		{"SR body cut short", []byte{0x81, 200, 0, 1, 0, 0, 0, 7}, nil, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkts, err := parseRTCP(tc.in)
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("parseRTCP: %v", err)
			case tc.err == errAny && err == nil, tc.err != nil && tc.err != errAny && !errors.Is(err, tc.err):
				t.Fatalf("parseRTCP: err %v, want %v", err, tc.err)
			}
			var got []string
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.SenderReport:
					if p.SSRC != sr.SSRC || p.NTPTime != sr.NTPTime || len(p.Reports) != 1 || p.Reports[0].TotalLost != 4 {
						t.Errorf("SR %+v, want %+v", p, sr)
					}
					got = append(got, "SR")
				case *rtcp.ReceiverReport:
					if p.SSRC != rr.SSRC || len(p.Reports) != 1 || p.Reports[0].FractionLost != 3 {
						t.Errorf("RR %+v, want %+v", p, rr)
					}
					got = append(got, "RR")
				default:
					t.Errorf("unexpected packet %T", p)
				}
			}
			if len(got) != len(tc.types) {
				t.Fatalf("packets %v, want %v", got, tc.types)
			}
			for i := range got {
				if got[i] != tc.types[i] {
					t.Fatalf("packets %v, want %v", got, tc.types)
				}
			}
		})
	}
}

// errAny marks a test case where any error will do.
var errAny = errors.New("any error")
