// Package sipdns finds the servers behind a SIP URI's host as RFC 3263
// says: NAPTR records choose the transport, SRV records (RFC 2782) the
// hosts and ports in priority order with weighted random choice within a
// priority, and A/AAAA records the addresses. An IP address or an
// explicit port skips the steps that would choose them.
//
// It speaks DNS itself (UDP, TCP when an answer is truncated), because
// Go's net package has no NAPTR lookup, to the nameservers of
// /etc/resolv.conf or to one server given in Options. Answers are cached
// for their TTL, failures (NXDOMAIN, no data) for the SOA's negative TTL,
// in a cache of bounded size; queries, records per answer and targets
// per resolution are bounded too.
package sipdns
