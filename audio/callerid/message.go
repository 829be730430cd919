package callerid

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Message types (the first byte of a caller-ID message).
const (
	TypeMDMF = 0x80 // multiple data message format (ETSI: call set-up)
	TypeSDMF = 0x04 // single data message format (Bell only)
)

// MDMF parameter types.
const (
	ParamDateTime     = 0x01 // MMDDHHMM, eight ASCII digits
	ParamNumber       = 0x02 // calling line identity
	ParamNumberAbsent = 0x04 // reason the number is absent: 'P' or 'O'
	ParamName         = 0x07 // calling party name
	ParamNameAbsent   = 0x08 // reason the name is absent: 'P' or 'O'
)

// Limits of the fields Marshal accepts. Bell 202 displays show 15
// characters of a name; ETSI allows 50; the number is up to 20 digits.
const (
	MaxNumber = 20
	MaxName   = 50
	// MaxSDMFNumber is the longest number an SDMF message carries.
	MaxSDMFNumber = 10
)

// Errors, wrapped with the detail by Marshal and Unmarshal.
var (
	// ErrInvalid means a Message cannot be encoded as asked.
	ErrInvalid = errors.New("callerid: invalid message")
	// ErrMalformed means bytes are not a well-formed caller-ID message.
	ErrMalformed = errors.New("callerid: malformed message")
	// ErrChecksum means the message's checksum does not match its bytes.
	ErrChecksum = errors.New("callerid: checksum mismatch")
)

// Reason tells why a number or name is not presented.
type Reason byte

// The reasons of Bell and ETSI alike.
const (
	Present     Reason = 0   // the field is presented (or simply not sent)
	Private     Reason = 'P' // withheld by the caller ("private", CLIR)
	Unavailable Reason = 'O' // not available ("out of area")
)

// String names the reason.
func (r Reason) String() string {
	switch r {
	case Present:
		return "present"
	case Private:
		return "private"
	case Unavailable:
		return "unavailable"
	}
	return fmt.Sprintf("callerid.Reason(%#x)", byte(r))
}

// DateTime is the month, day, hour and minute of a call (caller ID carries
// no year or seconds). The zero value means "not sent".
type DateTime struct {
	Month, Day, Hour, Minute int
}

// DateTimeOf returns t's month, day, hour and minute in t's location.
func DateTimeOf(t time.Time) DateTime {
	return DateTime{Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(), Minute: t.Minute()}
}

// IsZero reports whether d is the zero value ("not sent").
func (d DateTime) IsZero() bool { return d == DateTime{} }

func (d DateTime) valid() bool {
	return d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= 31 &&
		d.Hour >= 0 && d.Hour <= 23 && d.Minute >= 0 && d.Minute <= 59
}

// String is the wire form, MMDDHHMM.
func (d DateTime) String() string {
	return fmt.Sprintf("%02d%02d%02d%02d", d.Month, d.Day, d.Hour, d.Minute)
}

// Param is an MDMF parameter this package does not interpret (for example
// ETSI's 0x03 called number or 0x11 call type), kept so that a parsed
// message can be encoded again.
type Param struct {
	Type  byte
	Value []byte
}

// Message is the content of one on-hook caller-ID message. A field left at
// its zero value is not sent. Number and NumberAbsent are exclusive, and so
// are Name and NameAbsent.
type Message struct {
	Time         DateTime
	Number       string // printable ASCII, normally digits; up to MaxNumber
	NumberAbsent Reason
	Name         string // printable ASCII; up to MaxName
	NameAbsent   Reason
	// Other are further MDMF parameters, sent after the ones above.
	Other []Param
}

// Equal reports whether m and o hold the same content.
func (m Message) Equal(o Message) bool {
	return m.Time == o.Time && m.Number == o.Number && m.NumberAbsent == o.NumberAbsent &&
		m.Name == o.Name && m.NameAbsent == o.NameAbsent &&
		slices.EqualFunc(m.Other, o.Other, func(a, b Param) bool {
			return a.Type == b.Type && string(a.Value) == string(b.Value)
		})
}

func printable(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func reasonOK(r Reason) bool { return r == Private || r == Unavailable }

// check validates m for MDMF (the rules Unmarshal applies too).
func (m Message) check() error {
	switch {
	case !m.Time.IsZero() && !m.Time.valid():
		return fmt.Errorf("%w: date/time %+v out of range", ErrInvalid, m.Time)
	case len(m.Number) > MaxNumber || !printable(m.Number):
		return fmt.Errorf("%w: number %q: want up to %d printable ASCII characters", ErrInvalid, m.Number, MaxNumber)
	case len(m.Name) > MaxName || !printable(m.Name):
		return fmt.Errorf("%w: name %q: want up to %d printable ASCII characters", ErrInvalid, m.Name, MaxName)
	case m.NumberAbsent != Present && (!reasonOK(m.NumberAbsent) || m.Number != ""):
		return fmt.Errorf("%w: number absence reason %v with number %q", ErrInvalid, m.NumberAbsent, m.Number)
	case m.NameAbsent != Present && (!reasonOK(m.NameAbsent) || m.Name != ""):
		return fmt.Errorf("%w: name absence reason %v with name %q", ErrInvalid, m.NameAbsent, m.Name)
	}
	for i, p := range m.Other {
		switch p.Type {
		case ParamDateTime, ParamNumber, ParamNumberAbsent, ParamName, ParamNameAbsent:
			return fmt.Errorf("%w: other parameter %d has the type %#x of a field", ErrInvalid, i, p.Type)
		}
		if len(p.Value) > 255 {
			return fmt.Errorf("%w: other parameter %d (type %#x) is %d bytes long, more than 255",
				ErrInvalid, i, p.Type, len(p.Value))
		}
	}
	return nil
}

// MarshalBinary encodes m as an MDMF message (type 0x80): type, length,
// the parameters, checksum. It implements encoding.BinaryMarshaler.
func (m Message) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := []byte{TypeMDMF, 0}
	add := func(t byte, v string) { b = append(append(b, t, byte(len(v))), v...) }
	if !m.Time.IsZero() {
		add(ParamDateTime, m.Time.String())
	}
	if m.Number != "" {
		add(ParamNumber, m.Number)
	} else if m.NumberAbsent != Present {
		add(ParamNumberAbsent, string(rune(m.NumberAbsent)))
	}
	if m.Name != "" {
		add(ParamName, m.Name)
	} else if m.NameAbsent != Present {
		add(ParamNameAbsent, string(rune(m.NameAbsent)))
	}
	for _, p := range m.Other {
		add(p.Type, string(p.Value))
	}
	return finish(b)
}

// MarshalSDMF encodes m as an SDMF message (type 0x04): date/time, then
// the number or the absence reason. SDMF carries no name, so m must have
// none, and it needs the date/time.
func (m Message) MarshalSDMF() ([]byte, error) {
	switch {
	case m.Name != "" || m.NameAbsent != Present || len(m.Other) > 0:
		return nil, fmt.Errorf("%w: SDMF carries only date/time and number", ErrInvalid)
	case m.Time.IsZero():
		return nil, fmt.Errorf("%w: SDMF needs the date/time", ErrInvalid)
	case len(m.Number) > MaxSDMFNumber:
		return nil, fmt.Errorf("%w: number %q longer than %d for SDMF", ErrInvalid, m.Number, MaxSDMFNumber)
	case m.Number == "" && m.NumberAbsent == Present:
		return nil, fmt.Errorf("%w: SDMF needs a number or an absence reason", ErrInvalid)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	b := append([]byte{TypeSDMF, 0}, m.Time.String()...)
	if m.Number != "" {
		b = append(b, m.Number...)
	} else {
		b = append(b, byte(m.NumberAbsent))
	}
	return finish(b)
}

// finish fills in the length and appends the checksum.
func finish(b []byte) ([]byte, error) {
	if len(b)-2 > 255 {
		return nil, fmt.Errorf("%w: message body is %d bytes, more than 255", ErrInvalid, len(b)-2)
	}
	b[1] = byte(len(b) - 2)
	return append(b, checksum(b)), nil
}

// checksum is the two's complement of the byte sum, so that all bytes of
// a message including the checksum sum to 0 modulo 256.
func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return -s
}
