package presence

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
)

// MaxMessageBody bounds an incoming MESSAGE body (RFC 3428 §7: a
// MESSAGE over UDP should stay below 1300 bytes).
const MaxMessageBody = 1300

// Command is a command a MESSAGE may carry.
type Command int

// Commands understood in a MESSAGE body (first word, any case).
const (
	CmdNone   Command = iota // not a command: answered 200 and logged
	CmdOpen                  // "open [secret]": release the door
	CmdStatus                // "status": reply with the device state
	CmdHelp                  // "help": reply with the command list
)

// String names the command.
func (c Command) String() string {
	return [...]string{"none", "open", "status", "help"}[c]
}

// IncomingMessage is a received MESSAGE as the command rule sees it.
type IncomingMessage struct {
	ContentType string
	Body        []byte
	From        string // claimed sender (From URI): proves nothing, used for replies and logs
	// Identity is the sender's verified identity, "" when none: what a
	// trusted proxy asserted, or a user the device authenticated itself.
	Identity string
	// Allowed: the user agent admitted the sender (trusted proxy, digest
	// or source network; see ua.UA.Admit).
	Allowed bool
	// MayOpen: Identity is one the door opens for (device.door.allowed).
	MayOpen bool
}

// Decision says how to answer a MESSAGE and what to do.
type Decision struct {
	Command Command
	Status  int    // SIP response: 200, 403, 413, 415
	Reply   string // text to send back in a MESSAGE to From ("" none)
	Open    bool   // release the door
	Log     string // what happened, for the log
}

// CommandConfig is the MESSAGE command policy.
type CommandConfig struct {
	// Secret, when set, lets "open <secret>" open the door from any
	// allowed sender; compared in constant time.
	Secret string
	// RequireSecret demands the secret even through the trusted proxy.
	RequireSecret bool
	// MaxFailures wrong secrets within LockFor lock "open" for LockFor
	// (defaults 5 and 5 minutes), so the secret cannot be guessed.
	MaxFailures int
	LockFor     time.Duration
}

// Commands applies the command rule of issue 8 to incoming MESSAGEs.
type Commands struct {
	cfg    CommandConfig
	status func() string
	clock  clockwork.Clock

	mu       sync.Mutex
	failures int
	since    time.Time
	locked   time.Time
}

// NewCommands returns the rule; status renders the "status" reply.
func NewCommands(cfg CommandConfig, status func() string, clock clockwork.Clock) *Commands {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 5 * time.Minute
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if status == nil {
		status = func() string { return "unknown" }
	}
	return &Commands{cfg: cfg, status: status, clock: clock}
}

const helpText = "Commands: open [secret] - open the door; status - device state; help - this list."

// Handle decides on one MESSAGE. Senders not admitted get 403; huge
// bodies 413; other content types 415; everything else 200, with the
// command obeyed or refused (and logged) under the rule: "open" needs a
// verified sender the door opens for (MayOpen), or the configured secret.
func (c *Commands) Handle(m IncomingMessage) Decision {
	if !m.Allowed {
		return Decision{Status: 403, Log: "MESSAGE from unknown sender " + quote(m.From)}
	}
	if len(m.Body) > MaxMessageBody {
		return Decision{Status: 413, Log: fmt.Sprintf("MESSAGE of %d bytes from %s refused (limit %d)", len(m.Body), quote(m.From), MaxMessageBody)}
	}
	if mt, _, err := mime.ParseMediaType(m.ContentType); m.ContentType != "" && (err != nil || mt != "text/plain") {
		return Decision{Status: 415, Log: fmt.Sprintf("MESSAGE of type %q from %s refused", m.ContentType, quote(m.From))}
	}
	text := string(m.Body)
	if !utf8.ValidString(text) {
		return Decision{Status: 200, Log: "MESSAGE with invalid UTF-8 from " + quote(m.From) + " ignored"}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return Decision{Status: 200, Log: "empty MESSAGE from " + quote(m.From)}
	}
	switch strings.ToLower(fields[0]) {
	case "open":
		return c.open(m, fields[1:])
	case "status":
		return Decision{Command: CmdStatus, Status: 200, Reply: c.status(), Log: "status asked by " + quote(m.From)}
	case "help":
		return Decision{Command: CmdHelp, Status: 200, Reply: helpText, Log: "help asked by " + quote(m.From)}
	}
	return Decision{Status: 200, Reply: "Unknown command. " + helpText,
		Log: fmt.Sprintf("MESSAGE from %s: %q", quote(m.From), truncate(c.redact(line), 80))}
}

func (c *Commands) open(m IncomingMessage, args []string) Decision {
	d := Decision{Command: CmdOpen, Status: 200}
	given := strings.Join(args, " ")
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if now.Before(c.locked) {
		d.Reply, d.Log = "Open refused: too many wrong secrets, try later.", "open from "+quote(m.From)+" refused: locked after wrong secrets"
		return d
	}
	secretOK := c.cfg.Secret != "" && subtle.ConstantTimeCompare([]byte(given), []byte(c.cfg.Secret)) == 1
	switch {
	case secretOK || (m.MayOpen && m.Identity != "" && !c.cfg.RequireSecret):
		c.failures = 0
		d.Open, d.Reply = true, "Door opened."
		how := "as " + quote(m.Identity) + " (verified, in door.allowed)"
		if secretOK {
			how = "with the secret"
		}
		d.Log = "door opened by MESSAGE from " + quote(m.From) + " " + how
	case given != "" && c.cfg.Secret != "":
		if now.Sub(c.since) > c.cfg.LockFor {
			c.failures, c.since = 0, now
		}
		c.failures++
		if c.failures >= c.cfg.MaxFailures {
			c.locked, c.failures = now.Add(c.cfg.LockFor), 0
		}
		d.Reply, d.Log = "Open refused: wrong secret.", "open from "+quote(m.From)+" refused: wrong secret"
	default:
		d.Reply = "Open refused: send it through your PBX account or add the secret."
		why := "sender not verified (the From header proves nothing)"
		switch {
		case m.Identity != "" && m.MayOpen:
			why = "the secret is required"
		case m.Identity != "":
			why = quote(m.Identity) + " is not in door.allowed"
		}
		d.Log = "open from " + quote(m.From) + " refused: " + why + ", and no secret"
	}
	return d
}

// redact hides the secret in text that is logged.
func (c *Commands) redact(s string) string {
	if c.cfg.Secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.Secret, "<secret>")
}

func quote(s string) string { return fmt.Sprintf("%q", truncate(s, 200)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
