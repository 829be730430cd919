package notify

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/sipbell/sipbell/device"
)

// Payload is the JSON body of a webhook and the data of a message text.
type Payload struct {
	ID           string        `json:"id"` // unique per event: receivers drop duplicates of retried deliveries
	Event        string        `json:"event"`
	Time         time.Time     `json:"time"`
	Device       string        `json:"device,omitempty"` // the device's name or SIP address
	Account      string        `json:"account,omitempty"`
	Registration string        `json:"registration,omitempty"`
	Button       int           `json:"button,omitempty"` // 1 for the first call button (device.Event counts from 0)
	Targets      []string      `json:"targets,omitempty"`
	Peer         string        `json:"peer,omitempty"`
	Incoming     bool          `json:"incoming,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Who          string        `json:"who,omitempty"`
	OpenSeconds  float64       `json:"open_seconds,omitempty"`
	Open         time.Duration `json:"-"` // for texts: "{{.Open}}" reads "5m0s"
}

// PayloadOf turns a device event into a payload for deviceName.
func PayloadOf(ev device.Event, deviceName string) Payload {
	// People read these: the time to the millisecond, the open time to
	// the second ("5m0s", not "5m0.000123456s").
	p := Payload{ID: newID(), Event: ev.Kind.String(), Time: ev.Time.UTC().Truncate(time.Millisecond), Device: deviceName,
		Account: ev.Account, Targets: ev.Targets, Peer: ev.Peer, Incoming: ev.Incoming,
		Reason: ev.Reason, Who: ev.Who, Open: ev.Open.Round(time.Second), OpenSeconds: ev.Open.Round(time.Millisecond).Seconds()}
	if ev.Kind == device.EventRegistration {
		p.Registration = ev.Reg.String()
	}
	switch ev.Kind {
	case device.EventRang, device.EventMissed, device.EventBusy:
		p.Button = ev.Button + 1
	case device.EventAnswered:
		if !ev.Incoming {
			p.Button = ev.Button + 1
		}
	}
	if p.Time.IsZero() {
		p.Time = time.Now().UTC()
	}
	return p
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
