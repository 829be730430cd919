package notify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MessageSender sends one SIP MESSAGE (RFC 3428) with a text/plain body;
// the ua package implements it (digest auth, routing via the account).
type MessageSender interface {
	SendMessage(ctx context.Context, to, text string) error
}

// MaxText bounds a rendered message text (RFC 3428 §7 advises staying
// well below the UDP MTU; 1000 bytes leaves room for the headers).
const MaxText = 1000

// DefaultTexts are the message texts per event name. The analog phone's
// events (device.mode: ata) have no button (0): "rang" and "missed" speak
// of the phone there.
var DefaultTexts = map[string]string{
	"registration": "Door station {{.Account}}: {{.Registration}}.",
	"rang": `{{if .Button}}Someone is at the door (button {{.Button}}).` +
		`{{else if .Incoming}}The phone is ringing: {{.Peer}} is calling.` +
		`{{else}}The phone is calling{{range .Targets}} {{.}}{{end}}.{{end}}`,
	"answered": "The door call was answered by {{.Peer}}.",
	"missed": `{{if .Button}}Someone rang at {{.Time.Local.Format "15:04"}} and nobody answered.` +
		`{{else if .Peer}}Missed call from {{.Peer}} at {{.Time.Local.Format "15:04"}}.` +
		`{{else}}The phone's call to{{range .Targets}} {{.}}{{end}} was not answered.{{end}}`,
	"busy":           `Someone rang at {{.Time.Local.Format "15:04"}}; everyone was busy.`,
	"call-ended":     "The door call with {{.Peer}} ended ({{.Reason}}).",
	"door-opened":    "The door was opened by {{.Who}}.",
	"door-left-open": "The door has been open for {{.Open}}.",
	"door-closed":    "The door is closed again.",
	"tamper":         "Tamper alarm: the door station's housing was opened.",
	"audio-fault":    "Door station audio self-test: {{.Reason}}.",
	"audio-ok":       "Door station audio self-test: {{.Reason}}.",
}

// texts holds the parsed texts (text.go: the syntax they may use).
type texts struct{ t map[string]*text }

func newTexts(override map[string]string) (*texts, error) {
	tx := &texts{t: map[string]*text{}}
	for name, src := range DefaultTexts {
		if o, ok := override[name]; ok {
			src = o
		}
		t, err := parseText(src)
		if err != nil {
			return nil, fmt.Errorf("message text %s: %w", name, err)
		}
		tx.t[name] = t
	}
	return tx, nil
}

// Render returns the text for p, bounded to MaxText bytes.
func (tx *texts) Render(p Payload) (string, error) {
	t, ok := tx.t[p.Event]
	if !ok {
		return "", fmt.Errorf("render text: no text for event %q", p.Event)
	}
	var b strings.Builder
	t.render(&b, &p)
	s := strings.TrimSpace(b.String())
	if len(s) > MaxText {
		s = s[:MaxText]
	}
	return s, nil
}

// RenderText renders the configured (or default) text for p.
func (n *Notifier) RenderText(p Payload) (string, error) { return n.texts.Render(p) }

func (n *Notifier) messageSink(m Messages) *sink {
	s := &sink{name: "messages", filter: m.Events, q: newQueue(n.cfg.Queue), retries: 2, backoffMax: time.Minute}
	if len(s.filter) == 0 {
		s.filter = DefaultConfig().Messages.Events
	}
	var lastID string    // the event being retried
	var pending []string // its recipients still to reach
	s.deliver = func(ctx context.Context, p Payload) error {
		text, err := n.texts.Render(p)
		if err != nil {
			return permanent{err}
		}
		if p.ID != lastID {
			lastID, pending = p.ID, m.To
		}
		var failed, errs []string
		for _, to := range pending {
			cctx, cancel := context.WithTimeout(ctx, 32*time.Second)
			err := n.opts.Messages.SendMessage(cctx, to, text)
			cancel()
			if err != nil {
				failed = append(failed, to)
				errs = append(errs, fmt.Sprintf("%s: %v", to, err))
			}
		}
		pending = failed // a retry reaches only those that did not get it
		if len(failed) > 0 {
			return fmt.Errorf("MESSAGE: %s", strings.Join(errs, "; "))
		}
		return nil
	}
	return s
}
