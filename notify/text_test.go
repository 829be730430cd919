package notify

import (
	"errors"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestTextsAsTextTemplate: every text the subset reads renders exactly
// as Go's text/template renders it (what message texts were before), for
// a door's and a phone's events with and without their fields set.
func TestTextsAsTextTemplate(t *testing.T) {
	t.Parallel()
	srcs := []string{
		"Opened by {{.Who}}", "Missed at {{.Time}}", "{{.Time.Format \"2006-01-02 15:04\"}}",
		"at {{.Time.Local.Format `15:04:05`}} / {{.Time.UTC.Format \"15:04\"}} / {{.Time.Local}}",
		"{{.ID}} {{.Event}} {{.Device}} {{.Account}} {{.Registration}} {{.Button}} {{.Targets}}",
		"{{.Peer}} {{.Incoming}} {{.Reason}} {{.OpenSeconds}} {{.Open}}",
		"{{if .Button}}b{{.Button}}{{else if .Incoming}}in{{else if .Targets}}t{{else}}none{{end}}!",
		"{{if .Open}}open {{.Open}}{{end}}{{if .OpenSeconds}} ({{.OpenSeconds}} s){{end}}",
		"to{{range .Targets}} <{{.}}>{{end}}.", "{{/* nothing */}}x  {{- .Who -}}  y",
		"{{ .Who }}{{if .Time}} t{{end}}{{if .Reason}}{{.Reason}}{{else}}-{{end}}",
	}
	at := time.Date(2026, 12, 1, 18, 5, 7, 0, time.UTC)
	evs := []device.Event{
		{Kind: device.EventRang, Button: 1, Time: at},
		{Kind: device.EventRang, Button: -1, Incoming: true, Peer: "sip:alice@pbx", Time: at},
		{Kind: device.EventMissed, Button: -1, Targets: []string{"1234", "sip:b@c"}, Time: at},
		{Kind: device.EventDoorLeftOpen, Open: 90*time.Second + 300*time.Millisecond, Time: at},
		{Kind: device.EventCallEnded, Peer: "sip:a@b", Reason: "BYE", Who: "api:admin"},
		{Kind: device.EventRegistration, Account: "sip:door@pbx", Reg: device.Registered, Time: at},
	}
	for _, src := range append(srcs, DefaultTexts["rang"], DefaultTexts["missed"], DefaultTexts["busy"]) {
		ours, err := parseText(src)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		theirs := template.Must(template.New("t").Option("missingkey=error").Parse(src))
		for _, ev := range evs {
			p := PayloadOf(ev, "sip:door@pbx")
			var want strings.Builder
			if err := theirs.Execute(&want, p); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			ours.render(&got, &p)
			if got.String() != want.String() {
				t.Errorf("%q for %v:\n got %q\nwant %q", src, ev.Kind, got.String(), want.String())
			}
		}
	}
}

// TestTextsRefused: what the subset does not read is a configuration
// error naming the action, not a text rendered wrong.
func TestTextsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"{{.Nope}}", "unknown field .Nope"},
		{"{{if .Nope}}x{{end}}", "unknown field .Nope"},
		{"{{printf \"%s\" .Who}}", "{{printf \"%s\" .Who}}"},
		{"{{.Who | html}}", "{{.Who | html}}"},
		{"{{$x := .Who}}", "{{$x := .Who}}"},
		{"{{.Who.Len}}", "{{.Who.Len}}"},
		{"{{.Peer.Format \"x\"}}", "only .Time has a .Format"},
		{"{{.Time.Format 15}}", "{{.Time.Format 15}}"},
		{"{{.}}", "{{.}} outside {{range .Targets}}"},
		{"{{range .Peer}}x{{end}}", "only .Targets is a list"},
		{"{{if .Who}}x", "without {{end}}"},
		{"x{{end}}", "{{end}} without"},
		{"{{if .Who}}a{{else}}b{{else}}c{{end}}", "without {{end}}"},
		{"{{with .Who}}x{{end}}", "{{with .Who}}"},
		{"{{", "{{ without }}"},
	} {
		_, err := parseText(tc.src)
		if !errors.Is(err, ErrTextSyntax) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %q", tc.src, err, tc.want)
		}
	}
	c := DefaultConfig()
	c.Messages.Texts = map[string]string{"missed": "{{printf \"%v\" .Time}}"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "messages.texts.missed: {{printf") {
		t.Errorf("config with an unsupported text: %v", err)
	}
}
