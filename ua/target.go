package ua

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ErrBareUser reports a call target that is a user alone ("2002") while
// no account says at which domain to call it.
var ErrBareUser = errors.New("a bare user needs an account")

// CheckTarget reports why a user agent with this configuration could not
// call target, or nil: it is the very check Call makes, so a target the
// configuration accepts is one a call can be placed to. A bare user
// ("2002") needs an account (it is called at the first account's
// domain); without one, write a full URI (sip:2002@host).
func (c *Config) CheckTarget(target string) error {
	_, err := parseTarget(target, c.Accounts)
	return err
}

// parseTarget reads a call target: a sip:/sips: URI, user@host, or a bare
// user at the first account's domain.
func parseTarget(t string, accounts []Account) (sip.Uri, error) {
	s := strings.TrimSpace(t)
	if !strings.HasPrefix(strings.ToLower(s), "sip:") && !strings.HasPrefix(strings.ToLower(s), "sips:") {
		if !strings.Contains(s, "@") {
			if len(accounts) == 0 {
				return sip.Uri{}, fmt.Errorf("ua: call %q: %w (or give user@host)", t, ErrBareUser)
			}
			aor := newAOR(accounts[0])
			s += "@" + aor.HostPort()
		}
		s = "sip:" + s
	}
	var uri sip.Uri
	if err := sip.ParseUri(s, &uri); err != nil || uri.Host == "" {
		return sip.Uri{}, fmt.Errorf("ua: call %q: not a SIP URI: %v", t, err)
	}
	return uri, nil
}
