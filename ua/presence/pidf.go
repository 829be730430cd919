package presence

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// XML namespaces of PIDF and its extensions.
const (
	NSPIDF      = "urn:ietf:params:xml:ns:pidf"
	NSDataModel = "urn:ietf:params:xml:ns:pidf:data-model" // RFC 4479 <person>
	NSRPID      = "urn:ietf:params:xml:ns:pidf:rpid"       // RFC 4480
)

// Basic is a tuple's basic status (RFC 3863 §4.1.4).
type Basic string

// Basic statuses.
const (
	Open   Basic = "open"
	Closed Basic = "closed"
)

// Activity is an RPID activity (RFC 4480 §3.2) by its element name.
// "Available" is expressed by an open tuple without activities.
type Activity string

// The activities sipbell publishes; parsing keeps any other name.
const (
	ActivityOnThePhone Activity = "on-the-phone"
	ActivityAway       Activity = "away"
	ActivityBusy       Activity = "busy"
)

// maxActivities bounds the activities kept from one document.
const maxActivities = 16

// Tuple is one PIDF <tuple>: a way to reach the presentity.
type Tuple struct {
	ID      string
	Basic   Basic
	Contact string // optional URI
	Note    string // optional
}

// PIDF is a presence document (RFC 3863) with the RPID person data this
// project uses. Activities and PersonNote come from the <person>
// element, which Kamailio, Asterisk and phones place in varying
// namespaces; parsing accepts any of them.
type PIDF struct {
	Entity     string // the presentity, e.g. "sip:door@pbx.example"
	Tuples     []Tuple
	Notes      []string // <note> elements of <presence>
	Activities []Activity
	PersonNote string
}

// Open reports whether any tuple's basic status is open.
func (p PIDF) Open() bool {
	for _, t := range p.Tuples {
		if t.Basic == Open {
			return true
		}
	}
	return false
}

// Has reports whether the person's activities include a.
func (p PIDF) Has(a Activity) bool {
	for _, x := range p.Activities {
		if x == a {
			return true
		}
	}
	return false
}

// Note returns the first note found: a tuple's, the person's, or the
// document's.
func (p PIDF) Note() string {
	for _, t := range p.Tuples {
		if t.Note != "" {
			return t.Note
		}
	}
	if p.PersonNote != "" {
		return p.PersonNote
	}
	if len(p.Notes) > 0 {
		return p.Notes[0]
	}
	return ""
}

// decoding structs match local names in any namespace.
type xPresence struct {
	XMLName xml.Name
	Entity  string    `xml:"entity,attr"`
	Tuples  []xTuple  `xml:"tuple"`
	Notes   []string  `xml:"note"`
	Persons []xPerson `xml:"person"`
}

type xTuple struct {
	ID      string   `xml:"id,attr"`
	Basic   []string `xml:"status>basic"`
	Contact []string `xml:"contact"`
	Notes   []string `xml:"note"`
}

type xPerson struct {
	Activities []xActs  `xml:"activities"`
	StatusActs []xActs  `xml:"status>activities"` // Asterisk: <pp:person><status><ep:activities>
	Notes      []string `xml:"note"`
}

type xActs struct {
	Any []xAnyElt `xml:",any"`
}

type xAnyElt struct {
	XMLName xml.Name
}

// ParsePIDF parses and checks a PIDF body.
func ParsePIDF(body []byte) (PIDF, error) {
	const op = "parse pidf"
	var x xPresence
	if err := decodeBounded(op, body, &x); err != nil {
		return PIDF{}, err
	}
	if x.XMLName.Local != "presence" || x.XMLName.Space != NSPIDF {
		return PIDF{}, fmt.Errorf("%s: root element is {%s}%s, want {%s}presence: %w",
			op, x.XMLName.Space, x.XMLName.Local, NSPIDF, ErrInvalid)
	}
	if len(x.Tuples) > MaxTuples {
		return PIDF{}, fmt.Errorf("%s: %d tuples, limit %d: %w", op, len(x.Tuples), MaxTuples, ErrTooLarge)
	}
	var p PIDF
	var err error
	if p.Entity, err = field("entity", x.Entity); err != nil {
		return PIDF{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := validURI("entity", p.Entity); err != nil {
		return PIDF{}, fmt.Errorf("%s: %w", op, err)
	}
	for i, xt := range x.Tuples {
		t, err := parseTuple(xt)
		if err != nil {
			return PIDF{}, fmt.Errorf("%s: tuple %d: %w", op, i, err)
		}
		p.Tuples = append(p.Tuples, t)
	}
	for _, n := range x.Notes {
		n, err := field("note", n)
		if err != nil {
			return PIDF{}, fmt.Errorf("%s: %w", op, err)
		}
		p.Notes = append(p.Notes, n)
	}
	if err := p.parsePersons(x.Persons); err != nil {
		return PIDF{}, fmt.Errorf("%s: %w", op, err)
	}
	return p, nil
}

func parseTuple(xt xTuple) (Tuple, error) {
	var t Tuple
	var err error
	if t.ID, err = field("id", xt.ID); err != nil {
		return t, err
	}
	if len(xt.Basic) != 1 {
		return t, fmt.Errorf("%d <basic> elements, want 1: %w", len(xt.Basic), ErrInvalid)
	}
	switch b := Basic(strings.TrimSpace(xt.Basic[0])); b {
	case Open, Closed:
		t.Basic = b
	default:
		return t, fmt.Errorf("basic %q is neither open nor closed: %w", xt.Basic[0], ErrInvalid)
	}
	if len(xt.Contact) > 0 {
		if t.Contact, err = field("contact", xt.Contact[0]); err != nil {
			return t, err
		}
	}
	if len(xt.Notes) > 0 {
		if t.Note, err = field("note", xt.Notes[0]); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (p *PIDF) parsePersons(persons []xPerson) error {
	for _, xp := range persons {
		for _, acts := range append(xp.Activities, xp.StatusActs...) {
			for _, a := range acts.Any {
				if len(p.Activities) >= maxActivities {
					return fmt.Errorf("more than %d activities: %w", maxActivities, ErrTooLarge)
				}
				name, err := field("activity", a.XMLName.Local)
				if err != nil {
					return err
				}
				p.Activities = append(p.Activities, Activity(name))
			}
		}
		if len(xp.Notes) > 0 && p.PersonNote == "" {
			n, err := field("person note", xp.Notes[0])
			if err != nil {
				return err
			}
			p.PersonNote = n
		}
	}
	return nil
}

// encoding structs: explicit prefixes, as phones and Kamailio expect.
type ePresence struct {
	XMLName xml.Name `xml:"urn:ietf:params:xml:ns:pidf presence"`
	DM      string   `xml:"xmlns:dm,attr,omitempty"`
	RPID    string   `xml:"xmlns:rpid,attr,omitempty"`
	Entity  string   `xml:"entity,attr"`
	Tuples  []eTuple `xml:"tuple"`
	Notes   []string `xml:"note"`
	Person  *ePerson `xml:"dm:person"`
}

type eTuple struct {
	ID      string `xml:"id,attr"`
	Basic   string `xml:"status>basic"`
	Contact string `xml:"contact,omitempty"`
	Note    string `xml:"note,omitempty"`
}

type ePerson struct {
	ID         string       `xml:"id,attr"`
	Activities *eActivities `xml:"rpid:activities"`
	Note       string       `xml:"dm:note,omitempty"`
}

type eActivities struct {
	List []eActivity
}

type eActivity struct {
	XMLName xml.Name
}

// Marshal renders p as a PIDF document. It checks what it renders with
// the same rules ParsePIDF applies, so its output always parses.
func (p PIDF) Marshal() ([]byte, error) {
	const op = "marshal pidf"
	if err := validURI("entity", p.Entity); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(p.Tuples) == 0 || len(p.Tuples) > MaxTuples {
		return nil, fmt.Errorf("%s: %d tuples, want 1..%d: %w", op, len(p.Tuples), MaxTuples, ErrInvalid)
	}
	e := ePresence{Entity: p.Entity, Notes: p.Notes}
	for i, t := range p.Tuples {
		if t.Basic != Open && t.Basic != Closed {
			return nil, fmt.Errorf("%s: tuple %d: basic %q: %w", op, i, t.Basic, ErrInvalid)
		}
		if !validID(t.ID) {
			return nil, fmt.Errorf("%s: tuple %d: id %q is not an XML ID: %w", op, i, t.ID, ErrInvalid)
		}
		e.Tuples = append(e.Tuples, eTuple{ID: t.ID, Basic: string(t.Basic), Contact: t.Contact, Note: t.Note})
	}
	if len(p.Activities) > 0 || p.PersonNote != "" {
		e.DM = NSDataModel
		e.Person = &ePerson{ID: "p1", Note: p.PersonNote}
		if len(p.Activities) > maxActivities {
			return nil, fmt.Errorf("%s: %d activities, limit %d: %w", op, len(p.Activities), maxActivities, ErrTooLarge)
		}
		if len(p.Activities) > 0 {
			e.RPID = NSRPID
			e.Person.Activities = &eActivities{}
			for _, a := range p.Activities {
				if !validID(string(a)) {
					return nil, fmt.Errorf("%s: activity %q is not an element name: %w", op, a, ErrInvalid)
				}
				e.Person.Activities.List = append(e.Person.Activities.List, eActivity{XMLName: xml.Name{Local: "rpid:" + string(a)}})
			}
		}
	}
	if err := checkStrings(p); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return marshalDoc(op, e)
}

func checkStrings(p PIDF) error {
	all := append([]string{p.Entity, p.PersonNote}, p.Notes...)
	for _, t := range p.Tuples {
		all = append(all, t.Contact, t.Note)
	}
	for _, s := range all {
		if _, err := field("text", s); err != nil {
			return err
		}
	}
	return nil
}

// validID reports whether s is a plain XML name (letters, digits, '-',
// '_', '.'; not starting with a digit, '-' or '.').
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case (r >= '0' && r <= '9' || r == '-' || r == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}
