// Package presence implements sipbell's SIMPLE building blocks without
// depending on the user agent: PIDF (RFC 3863, with RPID activities from
// RFC 4480) and dialog-info (RFC 4235) bodies, a PUBLISH loop (RFC 3903),
// a manager for watchers that subscribe to the device directly (RFC 6665,
// event packages "presence" and "dialog"), and the parser and trust rule
// for commands received by MESSAGE (RFC 3428).
//
// Everything that sends SIP does so through small interfaces (Sender,
// Dialog) that the ua package adapts to sipgo; the adapters in sipgo.go
// do that for a *sipgo.Client. Timers use an injected clockwork.Clock.
//
// Bodies received from the network are bounded (MaxBodySize, MaxTuples,
// MaxDialogs, MaxField) and malformed ones give an error wrapping
// ErrTooLarge, ErrSyntax or ErrInvalid, never a panic.
package presence
