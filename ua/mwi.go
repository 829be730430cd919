package ua

import (
	"bufio"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// WithMessageWaiting calls f when an admitted server (an account's
// registrar or proxy, or an allow-listed source) sends NOTIFY with Event:
// message-summary (RFC 3842), as PBXes do unsolicited to a registered
// phone: waiting is the body's Messages-Waiting (yes or no), voice its
// Voice-Message counts ("2/8 (0/2)": new/old (urgent new/old)), "" when
// absent. f must not block; the UA answers 200 before calling it. Without
// this option such a NOTIFY gets 489 Bad Event.
func WithMessageWaiting(f func(waiting bool, voice string)) Option {
	return func(u *UA) { u.mwi = f }
}

// onMessageSummary answers an admitted message-summary NOTIFY: 200 and
// the callback, 200 alone for an empty body (RFC 6665 §4.2.2 lets a
// NOTIFY carry no state, as a PBX's first one before any exists: no
// change), or 400 when a body says nothing about waiting messages.
func (u *UA) onMessageSummary(req *sip.Request, tx sip.ServerTransaction) {
	body := string(req.Body())
	if strings.TrimSpace(body) == "" {
		u.respond(tx, req, 200)
		return
	}
	waiting, voice, ok := parseMessageSummary(body)
	if !ok {
		u.respond(tx, req, 400)
		return
	}
	u.respond(tx, req, 200)
	u.mwi(waiting, voice)
}

// parseMessageSummary reads an application/simple-message-summary body
// (RFC 3842 §5.2): the Messages-Waiting line (required) and the
// Voice-Message line. Names are case-insensitive; other lines are ignored.
func parseMessageSummary(body string) (waiting bool, voice string, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		name, value, found := strings.Cut(sc.Text(), ":")
		if !found {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "messages-waiting":
			switch strings.ToLower(value) {
			case "yes":
				waiting, ok = true, true
			case "no":
				waiting, ok = false, true
			default:
				return false, "", false
			}
		case "voice-message":
			voice = value
		}
	}
	return waiting, voice, ok
}
