// Package notify tells people what happened at the door outside SIP
// calls: webhooks (an HTTP POST with a JSON body, optionally signed with
// HMAC-SHA256) and short SIP MESSAGEs (RFC 3428) to configured URIs.
//
// A Notifier takes device events (device.Event) without ever blocking the
// device: each webhook and the message sender have their own bounded
// queue, drained by one goroutine each, with per-request timeouts and
// retries with capped exponential backoff and jitter. When a receiver is
// down for long, the oldest pending events are dropped and counted.
//
// Signing: with a secret, each request carries
//
//	X-Sipbell-Timestamp: <unix seconds>
//	X-Sipbell-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The timestamp is covered by the signature, so a receiver that rejects
// old timestamps (see Verify) cannot be fed a replayed request.
package notify
