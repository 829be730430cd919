package mqtt

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// command limits.
const (
	maxCommandPayload = 1000
	maxCallTargets    = 10
	commandTimeout    = 5 * time.Second
)

// command runs one message from <topic>/command/<user>/<verb>.
func (c *Client) command(ctx context.Context, topic string, payload []byte) {
	rest, ok := strings.CutPrefix(topic, c.cfg.Topic+"/command/")
	user, verb, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return
	}
	if !slices.Contains(c.cfg.Commands, user) {
		c.refuse(user, topic, "user may not send commands")
		return
	}
	if len(payload) > maxCommandPayload {
		c.refuse(user, topic, "payload too long")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	who := "mqtt:" + user
	var err error
	verb, arg, _ := strings.Cut(verb, "/")
	switch verb {
	case "open":
		if arg != "" {
			err = c.openRelay(ctx, who, user, topic, arg)
			break
		}
		if c.opts.Commands.Open == nil {
			return
		}
		err = c.opts.Commands.Open(ctx, who)
	case "call":
		var targets []string
		for _, t := range strings.Split(string(payload), ",") {
			if t = strings.TrimSpace(t); t != "" {
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 || len(targets) > maxCallTargets || c.opts.Commands.Call == nil {
			c.refuse(user, topic, "call needs 1..10 comma-separated targets")
			return
		}
		err = c.opts.Commands.Call(ctx, targets)
	case "hangup":
		if c.opts.Commands.Hangup == nil {
			return
		}
		err = c.opts.Commands.Hangup(ctx)
	case "dnd":
		on, off := strings.EqualFold(string(payload), "ON"), strings.EqualFold(string(payload), "OFF")
		if (!on && !off) || c.opts.Commands.DND == nil {
			c.refuse(user, topic, "dnd needs ON or OFF")
			return
		}
		err = c.opts.Commands.DND(ctx, who, on)
	default:
		c.refuse(user, topic, "unknown command")
		return
	}
	if err != nil {
		c.opts.Log.Warn("mqtt: command failed", "user", user, "command", verb, "err", err)
		return
	}
	c.opts.Log.Info("mqtt: command done", "user", user, "command", verb)
}

// openRelay runs open/N: relay N (1 is the door).
func (c *Client) openRelay(ctx context.Context, who, user, topic, arg string) error {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > 1+maxRelays || c.opts.Commands.OpenRelay == nil {
		c.refuse(user, topic, "open/N needs a relay number")
		return nil
	}
	return c.opts.Commands.OpenRelay(ctx, who, n)
}

// maxRelays bounds the relays a command may name (device.door.relays
// has at most 7 after the first).
const maxRelays = 7

// refuse logs a refused command, at most once per refuseEvery with a
// count of the ones left out (strangers can trigger it).
func (c *Client) refuse(user, topic, why string) {
	if n, ok := c.refused.allow(); ok {
		c.opts.Log.Warn("mqtt: command refused", "user", user, "topic", topic, "reason", why, "suppressed", n)
	}
}

const refuseEvery = 10 * time.Second

// limiter lets one event through per refuseEvery.
type limiter struct {
	clock      clockwork.Clock
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (l *limiter) allow() (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if !l.last.IsZero() && now.Sub(l.last) < refuseEvery {
		l.suppressed++
		return 0, false
	}
	l.last, suppressed, l.suppressed = now, l.suppressed, 0
	return suppressed, true
}
