package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

type sent struct{ to, text string }

type fakeMessages struct {
	mu   sync.Mutex
	fail map[string]int // recipient → failures left
	got  chan sent
}

func (f *fakeMessages) SendMessage(ctx context.Context, to, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[to] > 0 {
		f.fail[to]--
		return errors.New("408 Request Timeout")
	}
	f.got <- sent{to, text}
	return nil
}

func (f *fakeMessages) next(t *testing.T) sent {
	t.Helper()
	select {
	case s := <-f.got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no MESSAGE sent")
	}
	return sent{}
}

func TestMessagesOnEvents(t *testing.T) {
	t.Parallel()
	f := &fakeMessages{got: make(chan sent, 16), fail: map[string]int{"sip:bob@pbx.example": 1}}
	cfg := DefaultConfig()
	cfg.Messages.To = []string{"sip:alice@pbx.example", "sip:bob@pbx.example"}
	cfg.Messages.Texts = map[string]string{"door-opened": "Opened by {{.Who}}"}
	r := start(t, cfg, Options{Messages: f})
	r.n.Notify(device.Event{Kind: device.EventRang, Button: 1}) // not selected by default
	r.n.Notify(opened("sip:carol@pbx.example"))
	if s := f.next(t); s != (sent{"sip:alice@pbx.example", "Opened by sip:carol@pbx.example"}) {
		t.Fatalf("first MESSAGE %+v", s)
	}
	r.advance(t, time.Second) // bob failed once: only bob is retried
	if s := f.next(t); s.to != "sip:bob@pbx.example" {
		t.Fatalf("retry went to %s", s.to)
	}
	r.n.Notify(device.Event{Kind: device.EventDoorLeftOpen, Open: 5 * time.Minute})
	for _, to := range cfg.Messages.To {
		if s := f.next(t); s.to != to || s.text != "The door has been open for 5m0s." {
			t.Errorf("MESSAGE %+v", s)
		}
	}
	select {
	case s := <-f.got:
		t.Errorf("unexpected MESSAGE %+v", s)
	default:
	}
}

func TestDefaultTextsRender(t *testing.T) {
	t.Parallel()
	tx, err := newTexts(nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 18, 5, 0, 0, time.Local)
	evs := []device.Event{
		{Kind: device.EventRegistration, Account: "sip:door@pbx", Reg: device.Registered},
		{Kind: device.EventRang, Button: 1}, {Kind: device.EventAnswered, Peer: "sip:a@b"},
		{Kind: device.EventMissed, Time: at}, {Kind: device.EventBusy, Time: at},
		{Kind: device.EventCallEnded, Peer: "sip:a@b", Reason: "BYE"},
		{Kind: device.EventDoorOpened, Who: "api:admin"}, {Kind: device.EventDoorLeftOpen, Open: time.Minute},
		{Kind: device.EventDoorClosed},
	}
	want := []string{"Door station sip:door@pbx: registered.", "Someone is at the door (button 2).",
		"The door call was answered by sip:a@b.", "Someone rang at 18:05 and nobody answered.",
		"Someone rang at 18:05; everyone was busy.", "The door call with sip:a@b ended (BYE).",
		"The door was opened by api:admin.", "The door has been open for 1m0s.", "The door is closed again."}
	for i, ev := range evs {
		got, err := tx.Render(PayloadOf(ev, ""))
		if err != nil || got != want[i] {
			t.Errorf("%v: %q, %v; want %q", ev.Kind, got, err, want[i])
		}
	}
	long, _ := newTexts(map[string]string{"rang": strings.Repeat("x", 2*MaxText)})
	if s, _ := long.Render(PayloadOf(device.Event{Kind: device.EventRang}, "")); len(s) != MaxText {
		t.Errorf("text not bounded: %d bytes", len(s))
	}
	if _, err := newTexts(map[string]string{"rang": "{{.Nope}}"}); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if c := DefaultConfig(); c.Validate() != nil {
		t.Fatalf("default config invalid: %v", c.Validate())
	}
	tests := []struct {
		name string
		mod  func(*Config)
		path string
	}{
		{"empty url", func(c *Config) { c.Webhooks = []Webhook{{}} }, "webhooks[0].url: must not be empty"},
		{"ftp url", func(c *Config) { c.Webhooks = []Webhook{{URL: "ftp://x"}} }, "webhooks[0].url"},
		{"credentials", func(c *Config) { c.Webhooks = []Webhook{{URL: "https://u:p@x"}} }, "webhooks[0].url: must not carry"},
		{"event", func(c *Config) { c.Webhooks = []Webhook{{URL: "http://x", Events: []string{"rang", "fire"}}} }, "webhooks[0].events[1]"},
		{"timeout", func(c *Config) { c.Webhooks = []Webhook{{URL: "http://x", Timeout: time.Hour}} }, "webhooks[0].timeout"},
		{"retries", func(c *Config) { c.Webhooks = []Webhook{{URL: "http://x", Retries: intp(-1)}} }, "webhooks[0].retries"},
		{"backoff", func(c *Config) { c.Webhooks = []Webhook{{URL: "http://x", BackoffMax: time.Millisecond}} }, "webhooks[0].backoff_max"},
		{"short secret", func(c *Config) { c.Webhooks = []Webhook{{URL: "http://x", Secret: "abc"}} }, "webhooks[0].secret"},
		{"queue", func(c *Config) { c.Queue = 0 }, "queue"},
		{"message uri", func(c *Config) { c.Messages.To = []string{"alice"} }, "messages.to[0]"},
		{"message event", func(c *Config) { c.Messages.Events = []string{"x"} }, "messages.events[0]"},
		{"text event", func(c *Config) { c.Messages.Texts = map[string]string{"x": "y"} }, "messages.texts.x"},
		{"text template", func(c *Config) { c.Messages.Texts = map[string]string{"rang": "{{"} }, "messages.texts.rang"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.path)
		}
	}
	if _, err := New(Config{}, Options{}); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func ExampleVerify() {
	body := []byte(`{"event":"rang"}`)
	at := time.Unix(1_800_000_000, 0)
	sig := Sign("a-long-shared-secret", at, body)
	fmt.Println(sig[:7], Verify("a-long-shared-secret", "1800000000", sig, body, at, time.Minute))
	// Output: sha256= <nil>
}
