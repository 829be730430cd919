package presence

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// NSDialogInfo is the dialog-info namespace (RFC 4235).
const NSDialogInfo = "urn:ietf:params:xml:ns:dialog-info"

// DialogState is a dialog's state (RFC 4235 §3.7.1).
type DialogState string

// Dialog states. BLF keys show trying/proceeding/early as ringing,
// confirmed as busy, and no dialog (or terminated) as idle.
const (
	Trying     DialogState = "trying"
	Proceeding DialogState = "proceeding"
	Early      DialogState = "early"
	Confirmed  DialogState = "confirmed"
	Terminated DialogState = "terminated"
)

func (s DialogState) valid() bool {
	switch s {
	case Trying, Proceeding, Early, Confirmed, Terminated:
		return true
	}
	return false
}

// Direction says who initiated the dialog.
type Direction string

// Directions: the entity placed the call (initiator) or received it.
const (
	Initiator Direction = "initiator"
	Recipient Direction = "recipient"
)

// Identity is a party of a dialog: <identity> and <target uri>.
type Identity struct {
	URI     string
	Display string
	Target  string // optional target URI (e.g. the Contact)
}

// Dialog is one <dialog> element.
type Dialog struct {
	ID        string
	CallID    string
	LocalTag  string
	RemoteTag string
	Direction Direction // optional
	State     DialogState
	Event     string // optional: cancelled, rejected, replaced, local-bye, remote-bye, error, timeout
	Code      int    // optional response code of the state change
	Local     Identity
	Remote    Identity
}

// DialogInfo is a dialog-info document (RFC 4235).
type DialogInfo struct {
	Entity  string
	Version uint32
	Full    bool // state="full" (else "partial")
	Dialogs []Dialog
}

type xDialogInfo struct {
	XMLName xml.Name
	Version string    `xml:"version,attr"`
	State   string    `xml:"state,attr"`
	Entity  string    `xml:"entity,attr"`
	Dialogs []xDialog `xml:"dialog"`
}

type xDialog struct {
	ID        string  `xml:"id,attr"`
	CallID    string  `xml:"call-id,attr,omitempty"`
	LocalTag  string  `xml:"local-tag,attr,omitempty"`
	RemoteTag string  `xml:"remote-tag,attr,omitempty"`
	Direction string  `xml:"direction,attr,omitempty"`
	State     xState  `xml:"state"`
	Local     *xParty `xml:"local"`
	Remote    *xParty `xml:"remote"`
}

type xState struct {
	Event string `xml:"event,attr,omitempty"`
	Code  string `xml:"code,attr,omitempty"`
	Value string `xml:",chardata"`
}

type xParty struct {
	Identity xIdentity `xml:"identity"`
	Target   *xTarget  `xml:"target"`
}

type xIdentity struct {
	Display string `xml:"display,attr,omitempty"`
	URI     string `xml:",chardata"`
}

type xTarget struct {
	URI string `xml:"uri,attr"`
}

// ParseDialogInfo parses and checks a dialog-info body.
func ParseDialogInfo(body []byte) (DialogInfo, error) {
	const op = "parse dialog-info"
	var x xDialogInfo
	if err := decodeBounded(op, body, &x); err != nil {
		return DialogInfo{}, err
	}
	if x.XMLName.Local != "dialog-info" || x.XMLName.Space != NSDialogInfo {
		return DialogInfo{}, fmt.Errorf("%s: root element is {%s}%s, want {%s}dialog-info: %w",
			op, x.XMLName.Space, x.XMLName.Local, NSDialogInfo, ErrInvalid)
	}
	if len(x.Dialogs) > MaxDialogs {
		return DialogInfo{}, fmt.Errorf("%s: %d dialogs, limit %d: %w", op, len(x.Dialogs), MaxDialogs, ErrTooLarge)
	}
	var di DialogInfo
	v, err := strconv.ParseUint(strings.TrimSpace(x.Version), 10, 32)
	if err != nil {
		return DialogInfo{}, fmt.Errorf("%s: version %q is not a 32-bit count: %w", op, x.Version, ErrInvalid)
	}
	di.Version = uint32(v)
	switch x.State {
	case "full":
		di.Full = true
	case "partial":
	default:
		return DialogInfo{}, fmt.Errorf("%s: state %q is neither full nor partial: %w", op, x.State, ErrInvalid)
	}
	if di.Entity, err = field("entity", x.Entity); err != nil {
		return DialogInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := validURI("entity", di.Entity); err != nil {
		return DialogInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	for i, xd := range x.Dialogs {
		d, err := parseDialog(xd)
		if err != nil {
			return DialogInfo{}, fmt.Errorf("%s: dialog %d: %w", op, i, err)
		}
		di.Dialogs = append(di.Dialogs, d)
	}
	return di, nil
}

func parseDialog(xd xDialog) (Dialog, error) {
	d := Dialog{Direction: Direction(xd.Direction), State: DialogState(strings.TrimSpace(xd.State.Value))}
	for _, f := range []struct {
		name string
		src  string
		dst  *string
	}{{"id", xd.ID, &d.ID}, {"call-id", xd.CallID, &d.CallID}, {"local-tag", xd.LocalTag, &d.LocalTag},
		{"remote-tag", xd.RemoteTag, &d.RemoteTag}, {"event", xd.State.Event, &d.Event}} {
		v, err := field(f.name, f.src)
		if err != nil {
			return d, err
		}
		*f.dst = v
	}
	if d.ID == "" {
		return d, fmt.Errorf("missing id: %w", ErrInvalid)
	}
	if !d.State.valid() {
		return d, fmt.Errorf("state %q: %w", xd.State.Value, ErrInvalid)
	}
	switch d.Direction {
	case "", Initiator, Recipient:
	default:
		return d, fmt.Errorf("direction %q: %w", xd.Direction, ErrInvalid)
	}
	if c := strings.TrimSpace(xd.State.Code); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 100 || n > 699 {
			return d, fmt.Errorf("code %q is not a SIP status: %w", c, ErrInvalid)
		}
		d.Code = n
	}
	var err error
	if d.Local, err = parseParty("local", xd.Local); err != nil {
		return d, err
	}
	if d.Remote, err = parseParty("remote", xd.Remote); err != nil {
		return d, err
	}
	return d, nil
}

func parseParty(name string, p *xParty) (Identity, error) {
	var id Identity
	if p == nil {
		return id, nil
	}
	var err error
	if id.URI, err = field(name+" identity", p.Identity.URI); err != nil {
		return id, err
	}
	if id.Display, err = field(name+" display", p.Identity.Display); err != nil {
		return id, err
	}
	if p.Target != nil {
		if id.Target, err = field(name+" target", p.Target.URI); err != nil {
			return id, err
		}
	}
	return id, nil
}

type eDialogInfo struct {
	XMLName xml.Name  `xml:"urn:ietf:params:xml:ns:dialog-info dialog-info"`
	Version uint32    `xml:"version,attr"`
	State   string    `xml:"state,attr"`
	Entity  string    `xml:"entity,attr"`
	Dialogs []xDialog `xml:"dialog"`
}

// Marshal renders d as a dialog-info document; its output always parses
// with ParseDialogInfo.
func (d DialogInfo) Marshal() ([]byte, error) {
	const op = "marshal dialog-info"
	if err := validURI("entity", d.Entity); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(d.Dialogs) > MaxDialogs {
		return nil, fmt.Errorf("%s: %d dialogs, limit %d: %w", op, len(d.Dialogs), MaxDialogs, ErrTooLarge)
	}
	e := eDialogInfo{Version: d.Version, State: "partial", Entity: d.Entity}
	if d.Full {
		e.State = "full"
	}
	for i, dl := range d.Dialogs {
		xd, err := dl.encode()
		if err != nil {
			return nil, fmt.Errorf("%s: dialog %d: %w", op, i, err)
		}
		e.Dialogs = append(e.Dialogs, xd)
	}
	return marshalDoc(op, e)
}

func (d Dialog) encode() (xDialog, error) {
	if d.ID == "" {
		return xDialog{}, fmt.Errorf("missing id: %w", ErrInvalid)
	}
	if !d.State.valid() {
		return xDialog{}, fmt.Errorf("state %q: %w", d.State, ErrInvalid)
	}
	if d.Direction != "" && d.Direction != Initiator && d.Direction != Recipient {
		return xDialog{}, fmt.Errorf("direction %q: %w", d.Direction, ErrInvalid)
	}
	if d.Code != 0 && (d.Code < 100 || d.Code > 699) {
		return xDialog{}, fmt.Errorf("code %d: %w", d.Code, ErrInvalid)
	}
	for _, s := range []string{d.ID, d.CallID, d.LocalTag, d.RemoteTag, d.Event, d.Local.URI, d.Local.Display,
		d.Local.Target, d.Remote.URI, d.Remote.Display, d.Remote.Target} {
		if _, err := field("text", s); err != nil {
			return xDialog{}, err
		}
	}
	xd := xDialog{ID: d.ID, CallID: d.CallID, LocalTag: d.LocalTag, RemoteTag: d.RemoteTag,
		Direction: string(d.Direction), State: xState{Event: d.Event, Value: string(d.State)},
		Local: encodeParty(d.Local), Remote: encodeParty(d.Remote)}
	if d.Code != 0 {
		xd.State.Code = strconv.Itoa(d.Code)
	}
	return xd, nil
}

func encodeParty(id Identity) *xParty {
	if id.URI == "" {
		return nil
	}
	p := &xParty{Identity: xIdentity{Display: id.Display, URI: id.URI}}
	if id.Target != "" {
		p.Target = &xTarget{URI: id.Target}
	}
	return p
}
