package callerid

import "fmt"

// Unmarshal parses one complete caller-ID message, MDMF or SDMF: b must
// be exactly type, length, body and checksum. Unknown MDMF parameters are
// kept in Other; a known one that appears twice or holds a bad value is an
// error.
func Unmarshal(b []byte) (Message, error) {
	var m Message
	return m, m.UnmarshalBinary(b)
}

// UnmarshalBinary is Unmarshal into m (encoding.BinaryUnmarshaler). On
// error m is left unchanged.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) < 3 {
		return fmt.Errorf("%w: %d bytes, want at least 3", ErrMalformed, len(b))
	}
	if n := int(b[1]); n != len(b)-3 {
		return fmt.Errorf("%w: length byte %d, but %d body bytes", ErrMalformed, n, len(b)-3)
	}
	if s := checksum(b[:len(b)-1]); s != b[len(b)-1] {
		return fmt.Errorf("%w: got %#02x, want %#02x", ErrChecksum, b[len(b)-1], s)
	}
	body := b[2 : len(b)-1]
	var out Message
	var err error
	switch b[0] {
	case TypeMDMF:
		out, err = parseMDMF(body)
	case TypeSDMF:
		out, err = parseSDMF(body)
	default:
		err = fmt.Errorf("%w: message type %#02x, want MDMF %#02x or SDMF %#02x", ErrMalformed, b[0], TypeMDMF, TypeSDMF)
	}
	if err != nil {
		return err
	}
	*m = out
	return nil
}

func parseMDMF(body []byte) (Message, error) {
	var m Message
	seen := map[byte]bool{}
	for len(body) > 0 {
		if len(body) < 2 || int(body[1]) > len(body)-2 {
			return Message{}, fmt.Errorf("%w: parameter %#02x runs past the end", ErrMalformed, body[0])
		}
		t, v := body[0], body[2:2+int(body[1])]
		body = body[2+len(v):]
		if seen[t] {
			return Message{}, fmt.Errorf("%w: parameter %#02x twice", ErrMalformed, t)
		}
		seen[t] = true
		var err error
		switch t {
		case ParamDateTime:
			m.Time, err = parseDateTime(v)
		case ParamNumber:
			m.Number, err = text(v, MaxNumber, "number")
		case ParamName:
			m.Name, err = text(v, MaxName, "name")
		case ParamNumberAbsent:
			m.NumberAbsent, err = reason(v, "number")
		case ParamNameAbsent:
			m.NameAbsent, err = reason(v, "name")
		default:
			m.Other = append(m.Other, Param{Type: t, Value: append([]byte(nil), v...)})
		}
		if err != nil {
			return Message{}, err
		}
	}
	if err := m.check(); err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

func parseSDMF(body []byte) (Message, error) {
	if len(body) < 9 {
		return Message{}, fmt.Errorf("%w: SDMF body of %d bytes, want date/time and number", ErrMalformed, len(body))
	}
	var m Message
	var err error
	if m.Time, err = parseDateTime(body[:8]); err != nil {
		return Message{}, err
	}
	rest := body[8:]
	if len(rest) == 1 && (rest[0] == byte(Private) || rest[0] == byte(Unavailable)) {
		m.NumberAbsent = Reason(rest[0])
		return m, nil
	}
	m.Number, err = text(rest, MaxSDMFNumber, "number")
	return m, err
}

func parseDateTime(v []byte) (DateTime, error) {
	if len(v) != 8 {
		return DateTime{}, fmt.Errorf("%w: date/time %q, want MMDDHHMM", ErrMalformed, v)
	}
	var n [4]int
	for i := range 8 {
		if v[i] < '0' || v[i] > '9' {
			return DateTime{}, fmt.Errorf("%w: date/time %q, want MMDDHHMM", ErrMalformed, v)
		}
		n[i/2] = n[i/2]*10 + int(v[i]-'0')
	}
	d := DateTime{Month: n[0], Day: n[1], Hour: n[2], Minute: n[3]}
	if !d.valid() {
		return DateTime{}, fmt.Errorf("%w: date/time %q out of range", ErrMalformed, v)
	}
	return d, nil
}

func text(v []byte, max int, what string) (string, error) {
	if len(v) == 0 || len(v) > max || !printable(string(v)) {
		return "", fmt.Errorf("%w: %s %q: want 1 to %d printable ASCII characters", ErrMalformed, what, v, max)
	}
	return string(v), nil
}

func reason(v []byte, what string) (Reason, error) {
	if len(v) != 1 || !reasonOK(Reason(v[0])) {
		return 0, fmt.Errorf("%w: %s absence reason %q, want \"P\" or \"O\"", ErrMalformed, what, v)
	}
	return Reason(v[0]), nil
}
