package presence

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on received bodies. A door station watches few entities; these
// are far above what Kamailio, Asterisk or a phone send.
const (
	MaxBodySize = 64 << 10 // bytes of one PIDF or dialog-info body
	MaxTuples   = 32       // <tuple> elements in one PIDF document
	MaxDialogs  = 64       // <dialog> elements in one dialog-info document
	MaxField    = 1024     // bytes of one note, URI, identifier or display name
	maxDepth    = 32       // element nesting
)

// Errors returned (wrapped) by the parsers and marshalers.
var (
	ErrTooLarge = errors.New("body too large")
	ErrSyntax   = errors.New("malformed XML")
	ErrInvalid  = errors.New("invalid document")
)

// Content types of the bodies in this package.
const (
	ContentTypePIDF       = "application/pidf+xml"
	ContentTypeDialogInfo = "application/dialog-info+xml"
)

// decodeBounded decodes body into v after checking its size, nesting
// depth and character set. op names the operation for errors.
func decodeBounded(op string, body []byte, v any) error {
	if len(body) > MaxBodySize {
		return fmt.Errorf("%s: %d bytes, limit %d: %w", op, len(body), MaxBodySize, ErrTooLarge)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%s: empty body: %w", op, ErrSyntax)
	}
	if err := checkDepth(body); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	d := newDecoder(body)
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %v: %w", op, err, ErrSyntax)
	}
	return nil
}

func newDecoder(body []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = charsetReader
	return d
}

// checkDepth walks the tokens once so that a deeply nested or truncated
// document is refused before it is unmarshalled.
func checkDepth(body []byte) error {
	d := newDecoder(body)
	depth, elems := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if depth != 0 {
				return fmt.Errorf("unexpected end of document: %w", ErrSyntax)
			}
			if elems == 0 {
				return fmt.Errorf("no root element: %w", ErrSyntax)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%v: %w", err, ErrSyntax)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			elems++
			if depth > maxDepth {
				return fmt.Errorf("elements nested deeper than %d: %w", maxDepth, ErrTooLarge)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// charsetReader accepts the encodings peers declare: UTF-8, US-ASCII and
// ISO-8859-1 (Asterisk's PIDF declares the latter).
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "iso_8859-1", "latin-1":
		b, err := io.ReadAll(io.LimitReader(in, MaxBodySize+1))
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported charset %q", label)
}

// field checks one received or given string against MaxField and
// control characters and returns it trimmed.
func field(name, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxField {
		return "", fmt.Errorf("%s: %d bytes, limit %d: %w", name, len(s), MaxField, ErrTooLarge)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == utf8.RuneError {
			return "", fmt.Errorf("%s: control character %U: %w", name, r, ErrInvalid)
		}
	}
	return s, nil
}

// validURI checks that s looks like a sip:, sips:, pres: or tel: URI.
func validURI(name, s string) error {
	low := strings.ToLower(s)
	for _, p := range []string{"sip:", "sips:", "pres:", "tel:"} {
		if strings.HasPrefix(low, p) && len(s) > len(p) && !strings.ContainsAny(s, " \t\r\n<>\"") {
			return nil
		}
	}
	return fmt.Errorf("%s %q is not a sip:, sips:, pres: or tel: URI: %w", name, s, ErrInvalid)
}

// marshalDoc renders v with the XML declaration.
func marshalDoc(op string, v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", " ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := append([]byte(xml.Header), b...)
	out = append(out, '\n')
	if len(out) > MaxBodySize {
		return nil, fmt.Errorf("%s: %d bytes, limit %d: %w", op, len(out), MaxBodySize, ErrTooLarge)
	}
	return out, nil
}
