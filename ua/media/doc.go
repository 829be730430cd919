// Package media is sipbell's media layer: SDP offer/answer for G.711 calls
// (RFC 3264, RFC 4566), and — in later files — the RTP/RTCP session, the
// adaptive jitter buffer with loss concealment and RFC 4733 DTMF.
//
// # SDP
//
// An [SDP] value holds the local side of one call's SDP state (session id,
// o= version, local address and RTP port, configuration). The user agent
// creates one per call once the RTP port is bound, then either
//
//   - sends [SDP.Offer] in its INVITE and feeds the peer's answer to
//     [SDP.ParseAnswer], or
//   - feeds an incoming offer to [SDP.Answer] and sends the returned body.
//
// Both return a [Negotiated] description (remote RTP address, codec and
// payload types, ptime, direction) that configures the RTP session.
// [SDP.Answer] returns an error wrapping [ErrNoCommonCodec] when no audio
// stream can be accepted (the UA answers 488 Not Acceptable Here) and
// [ErrBadSDP] for a body that is not usable SDP (the UA answers 400 or 488).
//
// Re-INVITEs reuse the same [SDP] value: every generated body increments
// the o= session version, as RFC 3264 §8 requires. Hold is expressed with
// the local [Direction] passed to Offer/Answer (SendOnly or Inactive).
package media
