package callerid_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/callerid"
)

var doorMsg = callerid.Message{
	Time:   callerid.DateTime{Month: 1, Day: 15, Hour: 12, Minute: 30},
	Number: "0301234567",
	Name:   "DOOR STATION",
}

// The bytes of doorMsg, as written by hand from GR-30 / EN 300 659-3 (the
// same message the peers' notes decoded with multimon-ng and minimodem).
const doorMDMF = "8024" + "0108" + "3031313531323330" + "020a" + "30333031323334353637" +
	"070c" + "444f4f522053544154494f4e" + "32"

func TestMarshalMDMF(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    callerid.Message
		hex  string
	}{
		{"door", doorMsg, doorMDMF},
		{"private, name unavailable", callerid.Message{NumberAbsent: callerid.Private, NameAbsent: callerid.Unavailable},
			"8006" + "040150" + "08014f" + "cd"},
		{"number only", callerid.Message{Number: "911"}, "8005" + "0203393131" + "db"},
		{"other parameter", callerid.Message{Name: "A", Other: []callerid.Param{{Type: 0x11, Value: []byte{0x01}}}},
			"8006" + "070141" + "110101" + "1e"},
		{"empty", callerid.Message{}, "8000" + "80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.hex {
				t.Fatalf("MarshalBinary = %s, want %s", got, tc.hex)
			}
			var sum byte
			for _, c := range b {
				sum += c
			}
			if sum != 0 {
				t.Errorf("bytes sum to %#x, want 0", sum)
			}
			back, err := callerid.Unmarshal(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !back.Equal(tc.m) {
				t.Errorf("Unmarshal = %+v, want %+v", back, tc.m)
			}
		})
	}
}

func TestMarshalSDMF(t *testing.T) {
	m := callerid.Message{Time: callerid.DateTime{Month: 1, Day: 2, Hour: 3, Minute: 4}, Number: "5551234567"}
	b, err := m.MarshalSDMF()
	if err != nil {
		t.Fatal(err)
	}
	want := "0412" + hex.EncodeToString([]byte("01020304")) + hex.EncodeToString([]byte("5551234567")) + "55"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("MarshalSDMF = %s, want %s", got, want)
	}
	if back, err := callerid.Unmarshal(b); err != nil || !back.Equal(m) {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
	p := callerid.Message{Time: m.Time, NumberAbsent: callerid.Private}
	b, err = p.MarshalSDMF()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := callerid.Unmarshal(b); err != nil || !back.Equal(p) {
		t.Fatalf("Unmarshal private = %+v, %v", back, err)
	}
	for name, bad := range map[string]callerid.Message{
		"name":      {Time: m.Time, Number: "1", Name: "X"},
		"no time":   {Number: "1"},
		"too long":  {Time: m.Time, Number: "12345678901"},
		"no number": {Time: m.Time},
	} {
		if _, err := bad.MarshalSDMF(); !errors.Is(err, callerid.ErrInvalid) {
			t.Errorf("%s: MarshalSDMF error %v, want ErrInvalid", name, err)
		}
	}
}

func TestMarshalInvalid(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), callerid.MaxName+1))
	for name, m := range map[string]callerid.Message{
		"number and reason": {Number: "1", NumberAbsent: callerid.Private},
		"name and reason":   {Name: "a", NameAbsent: callerid.Unavailable},
		"bad reason":        {NumberAbsent: 'X'},
		"control char":      {Name: "a\nb"},
		"non-ASCII":         {Name: "Tür"},
		"long name":         {Name: long},
		"long number":       {Number: "123456789012345678901"},
		"month 13":          {Time: callerid.DateTime{Month: 13, Day: 1}},
		"minute 60":         {Time: callerid.DateTime{Month: 1, Day: 1, Minute: 60}},
		"other known type":  {Other: []callerid.Param{{Type: callerid.ParamName, Value: []byte("x")}}},
		"other too long":    {Other: []callerid.Param{{Type: 0x11, Value: make([]byte, 256)}}},
		"body too long": {Other: []callerid.Param{{Type: 0x11, Value: make([]byte, 200)},
			{Type: 0x12, Value: make([]byte, 200)}}},
	} {
		if _, err := m.MarshalBinary(); !errors.Is(err, callerid.ErrInvalid) {
			t.Errorf("%s: MarshalBinary error %v, want ErrInvalid", name, err)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, _ := hex.DecodeString(doorMDMF)
	withSum := func(h string) []byte {
		b, _ := hex.DecodeString(h)
		var s byte
		for _, c := range b {
			s += c
		}
		return append(b, -s)
	}
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-1]++
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, callerid.ErrMalformed},
		{"short", []byte{0x80, 0x00}, callerid.ErrMalformed},
		{"checksum", corrupt, callerid.ErrChecksum},
		{"length byte", append(bytes.Clone(good), 0), callerid.ErrMalformed},
		{"type", withSum("1100"), callerid.ErrMalformed},
		{"param past end", withSum("8003020931"), callerid.ErrMalformed},
		{"param header cut", withSum("800102"), callerid.ErrMalformed},
		{"duplicate", withSum("8006020131020132"), callerid.ErrMalformed},
		{"empty number", withSum("80020200"), callerid.ErrMalformed},
		{"bad reason", withSum("8003040158"), callerid.ErrMalformed},
		{"number and reason", withSum("8006020131040150"), callerid.ErrMalformed},
		{"date letters", withSum("800a0108" + hex.EncodeToString([]byte("0115123x"))), callerid.ErrMalformed},
		{"date range", withSum("800a0108" + hex.EncodeToString([]byte("13151230"))), callerid.ErrMalformed},
		{"date short", withSum("8005010331323334"[:14]), callerid.ErrMalformed},
		{"sdmf short", withSum("04023031"), callerid.ErrMalformed},
		{"sdmf bad number", withSum("0409" + hex.EncodeToString([]byte("01020304\x01"))), callerid.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m callerid.Message
			m.Name = "kept"
			if err := m.UnmarshalBinary(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("UnmarshalBinary(%x) error %v, want %v", tc.b, err, tc.want)
			}
			if m.Name != "kept" {
				t.Errorf("message changed on error: %+v", m)
			}
		})
	}
}

func TestDateTimeOf(t *testing.T) {
	d := callerid.DateTimeOf(time.Date(2026, 12, 5, 18, 7, 59, 0, time.UTC))
	if d.String() != "12051807" {
		t.Errorf("DateTimeOf = %v, want 12051807", d)
	}
	if !(callerid.DateTime{}).IsZero() || d.IsZero() {
		t.Error("IsZero wrong")
	}
	if callerid.Private.String() != "private" || callerid.Reason(1).String() == "" {
		t.Error("Reason.String wrong")
	}
}

// FuzzUnmarshal: the parser never panics, and whatever it accepts encodes
// again (in its canonical form) to a message that parses to the same
// content.
func FuzzUnmarshal(f *testing.F) {
	good, _ := hex.DecodeString(doorMDMF)
	f.Add(good)
	f.Add([]byte{0x80, 0x00, 0x80})
	f.Add([]byte{0x04, 0x09, '0', '1', '0', '2', '0', '3', '0', '4', 'P', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := callerid.Unmarshal(b)
		if err != nil {
			return
		}
		var enc []byte
		if b[0] == callerid.TypeSDMF {
			enc, err = m.MarshalSDMF()
		} else {
			enc, err = m.MarshalBinary()
		}
		if err != nil {
			t.Fatalf("accepted %x as %+v, but it does not encode: %v", b, m, err)
		}
		back, err := callerid.Unmarshal(enc)
		if err != nil || !back.Equal(m) {
			t.Fatalf("re-encoded %x parses to %+v, %v; want %+v", enc, back, err, m)
		}
	})
}
