package device

import "strings"

// party is a caller or target reduced to what matching needs.
type party struct {
	user string
	host string // lower case, without port; "" when none was given
}

// parseParty reads "1001", "alice@pbx", "sip:alice@pbx:5060;transport=tcp"
// or a header value such as `"Alice" <sip:alice@pbx>;tag=x`.
func parseParty(s string) (party, string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return party{}, "has '<' without '>'"
		}
		s = s[i+1 : i+j]
	}
	if s == "" {
		return party{}, "must not be empty"
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return party{}, "must not contain spaces"
	}
	low := strings.ToLower(s)
	scheme := true
	switch {
	case strings.HasPrefix(low, "sip:"):
		s = s[4:]
	case strings.HasPrefix(low, "sips:"):
		s = s[5:]
	default:
		scheme = false
	}
	if i := strings.IndexAny(s, ";?"); i >= 0 {
		s = s[:i]
	}
	user, host, hasAt := strings.Cut(s, "@")
	if !hasAt {
		if scheme {
			return party{}, "needs a user part (e.g. sip:1001@pbx.example)"
		}
		host = ""
	}
	if strings.Contains(user, ":") {
		return party{}, "must be a sip: or sips: URI, user@host or a user"
	}
	if user == "" {
		return party{}, "needs a user part (e.g. 1001 or sip:1001@pbx.example)"
	}
	if hasAt {
		if h, _, ok := strings.Cut(host, ":"); ok || h != "" {
			host = h
		}
		if host == "" {
			return party{}, "has no host after '@'"
		}
	}
	return party{user: user, host: strings.ToLower(host)}, ""
}

// checkParty returns why s is not a usable target or allowed party, or "".
func checkParty(s string) string {
	_, msg := parseParty(s)
	return msg
}

// matches reports whether the peer p is the party a: same user, and the
// same host when a names one.
func (a party) matches(p party) bool {
	return a.user == p.user && (a.host == "" || a.host == p.host)
}

// partyList is a parsed list of allowed parties.
type partyList []party

func parseParties(ss []string) partyList {
	var l partyList
	for _, s := range ss {
		if p, msg := parseParty(s); msg == "" {
			l = append(l, p)
		}
	}
	return l
}

// allows reports whether peer (any form parseParty reads) is on the list.
func (l partyList) allows(peer string) bool {
	p, msg := parseParty(peer)
	if msg != "" {
		return false
	}
	for _, a := range l {
		if a.matches(p) {
			return true
		}
	}
	return false
}

// allowsCaller reports whether the caller's verified identity is on the
// list. An unverified caller (no identity) never is, whatever its From
// says. A user the device knows itself ("alice", from sip.callers) has no
// host, so only entries naming a user alone match it.
func (l partyList) allowsCaller(c Caller) bool {
	if c.Identity == "" {
		return false
	}
	return l.allows(c.Identity)
}
