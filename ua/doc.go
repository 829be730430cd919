// Package ua is sipbell's SIP user agent, built on github.com/emiago/sipgo.
//
// Its one job is SIP: it listens on UDP and TCP (one port), keeps the
// configured accounts registered, places and answers calls, and publishes
// what happens as events. It knows SIP and media, not buttons: the device
// package drives it through the Phone and Call interfaces and sees no SIP
// types. uatest.Fake implements the same interfaces for device tests.
//
// # Lifecycle (what cmd/sipbell calls)
//
//	u, err := ua.New(cfg, version, log)            // options: WithMedia, WithMediaConfig, WithClock, WithTLSConfig
//	err = u.Listen()                                // optional; binds cfg.Listen (port 0: a free one)
//	go u.Run(ctx)                                   // serves, registers; on cancel: hangs up, unregisters (≤ ~1 s), closes
//	for ev := range u.Events() { ... }              // read for the UA's lifetime (never closed)
//
// # Registration (RFC 3261 §10)
//
// One loop per account: digest MD5/SHA-256 on 401/407 (a second challenge
// is honoured only with stale=true; refreshes reuse the last nonce with
// nc counting, one round trip, and a refused nonce is answered afresh:
// regauth.go), the Contact corrected from the
// received/rport of the answer (RFC 3581; over TCP/TLS this makes the
// registering connection the way in), the granted expiry refreshed at
// 50-75% of its lifetime, 423 answered with Min-Expires, exponential
// backoff with jitter (2 s doubling to 5 min) or the Retry-After given,
// failover to the next registrar on timeout, transport error or 5xx (the
// primary is tried again at every refresh), 6xx final for that server,
// a registrar or proxy named by a domain found by DNS as RFC 3263 says
// (ua/sipdns: NAPTR, SRV, A/AAAA; regroute.go), the next server DNS gave
// on timeout, transport error or 503 before the next configured one, and
// the first again at refresh (calls through the account and direct calls
// to a domain name go the same way: callroute.go),
// wrong credentials (401/407 after authenticating, or 403) → RegFailed
// and a retry only after 10 minutes. Every cfg.KeepAlive the loop sends
// an OPTIONS to its own address of record through the registrar
// (keepalive.go): 404/408/410/480/604 means the registrar lost the binding
// (a restart), no answer that it may be gone: either way it registers
// again at once, and a registrar that does not answer at all is tried
// every 2 s (not backed off) with the state "failed" meanwhile, so
// registration is back about 2 s after it answers again. A TCP/TLS
// registration's connection is watched every second. A registrar that
// never answers OPTIONS gets CRLF keep-alives. Expires: 0 is sent at
// shutdown.
//
// # Calls
//
// Up to cfg.MaxCalls calls at once (default 1, a door station; the phone
// mode's call waiting needs 2): one more INVITE gets 486, UA.Call fails
// with ErrBusy.
// Incoming: Max-Forwards 0 → 483, merged/looped request → 482, then who
// the caller is (identity.go): a registrar/proxy of an account (address
// AND port) is trusted and its P-Asserted-Identity is the caller; a
// sip.callers user is challenged (401, stateless signed nonce) and
// verified by digest, or known by address; cfg.AllowFrom networks are
// admitted without identity; anyone else gets 401 or 403 and a
// per-source rate-limited log line. From never identifies anyone.
// OPTIONS is answered for anyone. Then 100, 180, and EventIncomingCall
// with the verified Caller, and 200 with the SDP answer when the device
// calls Call.Answer (or after cfg.AutoAnswerDelay when the user agent is
// used on its own with cfg.AutoAnswer); Reject sends the code given.
// No common codec → 488 with Warning 305 naming the offered codecs and
// ours (warning.go); CANCEL → 487; no ACK → BYE after 64·T1; late
// offers (INVITE without SDP) are answered with an offer in the 200.
// Re-INVITEs (hold, resume, refresh) and UPDATEs (RFC 3311) are answered
// and published as Event.Held changes; a re-INVITE's 2xx is retransmitted
// until its ACK (reinvite.go). Call.Hold/Resume re-INVITE the peer
// a=sendonly (a=inactive when it holds us) and back (hold.go); a 491
// (crossed re-INVITEs) is retried after RFC 3261 §14.1's random delay.
// Transfer (RFC 3515 REFER, RFC 3892 Referred-By, RFC 3891 Replaces): as
// transferee (refer.go) a REFER from the party in the call, trusted
// (relayed by our proxy, a verified caller, or the party we called) gets
// 202, the Refer-To target is called with Referred-By (and Replaces for
// an attended transfer), progress goes back in NOTIFY message/sipfrag,
// and on success the same Call goes on with the new dialog
// (Event.Transferred) and the old one gets BYE; others get 403 and a
// rate-limited log line. As transferor Call.Transfer sends REFER and
// follows the NOTIFYs (refer_out.go). Pickup (pickup.go): an INVITE with
// Replaces naming the early dialog of our ringing outgoing call, from a
// verified or trusted party, cancels the ringing legs and answers the
// call in its place (481 no such early dialog, 403 unverified, 486
// answered meanwhile). Call events carry the dialog as on the wire
// (Event.Dialog) for dialog-info. Session
// timers (RFC 4028, sessiontimer.go): Supported: timer, a Session-Expires
// below cfg.MinSE → 422, the refresher chosen per §9 (the caller when it
// supports timers); our INVITEs offer cfg.SessionExpires and retry a 422
// with the peer's Min-SE; as refresher we send UPDATE (re-INVITE when the
// peer does not allow UPDATE) every half interval, and when the peer is
// the refresher and is silent for the interval less min(32 s, interval/3)
// the call ends with BYE; SIP INFO DTMF becomes EventDTMF when it comes from the call's caller (its
// address, or the trusted proxy). Unknown methods get 405 with Allow.
//
// Outgoing (UA.Call): through the first account's outbound proxy or
// registrar when the target is in its domain, otherwise direct; digest on
// 401/407; 180/183 → CallRinging (never relied upon); 2xx → ACK; 3xx →
// the Contacts are tried (at most 5 redirects, each URI once); 4xx and
// 5xx → the next target; 6xx stops; Hangup before an answer → CANCEL;
// cfg.RingTimeout → CANCEL; cfg.MaxCallLength → BYE. In Parallel mode all
// targets ring and the first answer wins; the others are cancelled.
//
// Every status code of RFC 3261 and its common extensions is known by
// name (StatusText, Status); events carry the code and a readable reason.
//
// # Media seam
//
// The UA does SDP offer/answer with ua/media and hands RTP to a
// MediaHandler: Open (reserve the RTP socket, return the address for SDP)
// when a call starts, Start with the media.Negotiated description once the
// call is confirmed and again after each re-INVITE, SendDTMF, and Close
// when the call ends. MediaCall.OnDTMF and OnTimeout report back. Without
// WithMedia, a built-in handler only reserves RTP ports.
package ua
