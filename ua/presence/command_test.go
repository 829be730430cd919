package presence

import (
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestCommands(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-long-secret"
	// trusted: verified (here through the proxy) and in door.allowed.
	trusted := IncomingMessage{ContentType: "text/plain", From: "sip:alice@pbx", Allowed: true, Identity: "sip:alice@pbx", MayOpen: true}
	notListed := IncomingMessage{ContentType: "text/plain", From: "sip:bob@pbx", Allowed: true, Identity: "sip:bob@pbx"}
	allowed := IncomingMessage{ContentType: "text/plain;charset=UTF-8", From: "sip:alice@pbx", Allowed: true}
	unknown := IncomingMessage{ContentType: "text/plain", From: "sip:alice@pbx"}
	with := func(m IncomingMessage, body string) IncomingMessage { m.Body = []byte(body); return m }
	tests := []struct {
		name     string
		cfg      CommandConfig
		msg      IncomingMessage
		status   int
		cmd      Command
		open     bool
		reply    string
		logWords string
	}{
		{"open via trusted proxy", CommandConfig{}, with(trusted, "open"), 200, CmdOpen, true, "Door opened.", "verified, in door.allowed"},
		{"open verified but not in door.allowed", CommandConfig{}, with(notListed, "open"), 200, CmdOpen, false, "Open refused", "not in door.allowed"},
		{"open claimed From only", CommandConfig{}, with(allowed, "open"), 200, CmdOpen, false, "Open refused", "not verified"},
		{"open any case and spaces", CommandConfig{}, with(trusted, "  OPEN \r\n"), 200, CmdOpen, true, "Door opened.", ""},
		{"open allowed no secret", CommandConfig{Secret: secret}, with(allowed, "open"), 200, CmdOpen, false, "Open refused", "no secret"},
		{"open allowed with secret", CommandConfig{Secret: secret}, with(allowed, "open "+secret), 200, CmdOpen, true, "Door opened.", "with the secret"},
		{"open allowed wrong secret", CommandConfig{Secret: secret}, with(allowed, "open hunter3"), 200, CmdOpen, false, "wrong secret", "wrong secret"},
		{"open allowed, no secret configured", CommandConfig{}, with(allowed, "open anything"), 200, CmdOpen, false, "Open refused", ""},
		{"prefix of secret", CommandConfig{Secret: secret}, with(allowed, "open hunter2"), 200, CmdOpen, false, "wrong secret", ""},
		{"trusted but secret required", CommandConfig{Secret: secret, RequireSecret: true}, with(trusted, "open"), 200, CmdOpen, false, "Open refused", ""},
		{"trusted with required secret", CommandConfig{Secret: secret, RequireSecret: true}, with(trusted, "open "+secret), 200, CmdOpen, true, "", ""},
		{"unknown sender", CommandConfig{Secret: secret}, with(unknown, "open "+secret), 403, CmdNone, false, "", "unknown sender"},
		{"status", CommandConfig{}, with(allowed, "status"), 200, CmdStatus, false, "idle", ""},
		{"help", CommandConfig{}, with(allowed, "Help me"), 200, CmdHelp, false, "Commands:", ""},
		{"chat", CommandConfig{}, with(allowed, "hello door"), 200, CmdNone, false, "Unknown command", "hello door"},
		{"empty", CommandConfig{}, with(allowed, " "), 200, CmdNone, false, "", "empty"},
		{"huge", CommandConfig{}, with(trusted, "open "+strings.Repeat("x", MaxMessageBody)), 413, CmdNone, false, "", "limit"},
		{"html", CommandConfig{}, IncomingMessage{ContentType: "text/html", Body: []byte("open"), Allowed: true}, 415, CmdNone, false, "", "text/html"},
		{"cpim", CommandConfig{}, IncomingMessage{ContentType: "message/cpim", Body: []byte("open"), Allowed: true}, 415, CmdNone, false, "", ""},
		{"bad utf8", CommandConfig{}, with(trusted, "open \xff"), 200, CmdNone, false, "", "UTF-8"},
		{"second line ignored", CommandConfig{}, with(allowed, "status\nopen"), 200, CmdStatus, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCommands(tc.cfg, func() string { return "idle" }, nil)
			d := c.Handle(tc.msg)
			if d.Status != tc.status || d.Command != tc.cmd || d.Open != tc.open ||
				!strings.Contains(d.Reply, tc.reply) || !strings.Contains(d.Log, tc.logWords) {
				t.Errorf("decision %+v", d)
			}
			if strings.Contains(d.Log, secret) || strings.Contains(d.Reply, secret) {
				t.Errorf("secret leaked: %+v", d)
			}
		})
	}
}

func TestCommandsLockAfterWrongSecrets(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	c := NewCommands(CommandConfig{Secret: "right-secret-123", MaxFailures: 3, LockFor: time.Minute}, nil, clock)
	msg := func(s string) IncomingMessage {
		return IncomingMessage{ContentType: "text/plain", Body: []byte("open " + s), Allowed: true}
	}
	for i := 0; i < 3; i++ {
		if d := c.Handle(msg("guess")); d.Open {
			t.Fatal("wrong secret opened")
		}
	}
	if d := c.Handle(msg("right-secret-123")); d.Open || !strings.Contains(d.Log, "locked") {
		t.Fatalf("right secret during lock: %+v", d)
	}
	clock.Advance(time.Minute + time.Second)
	if d := c.Handle(msg("right-secret-123")); !d.Open {
		t.Fatalf("right secret after the lock: %+v", d)
	}
}
