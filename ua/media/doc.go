// Package media is sipbell's media layer: SDP offer/answer for G.711 calls
// (RFC 3264, RFC 4566), the RTP/RTCP session (RFC 3550) with symmetric
// RTP, an adaptive jitter buffer with packet-loss concealment, and DTMF by
// RFC 4733, SIP INFO and in-band tones merged into one digit stream.
//
// # Call flow
//
//	s, err := media.Listen(cfg, localIP, media.Options{Logger: log})  // binds RTP+RTCP
//	sdp := media.NewSDP(cfg, netip.AddrPortFrom(advertisedIP, s.LocalAddr().Port()))
//	offer, _ := sdp.Offer(media.SendRecv)            // INVITE body
//	neg, err := sdp.ParseAnswer(answerBody)          // from the 200 OK
//	//   or, as UAS: answer, neg, err := sdp.Answer(offerBody, media.SendRecv)
//	//   (errors.Is(err, media.ErrNoCommonCodec) → 488, ErrBadSDP → 400/488)
//	s.Start(ctx, neg)                                // again on every re-INVITE
//	go s.Run(ctx, capture, playback)                 // audio until ctx ends
//	for ev := range s.Events() { ... }               // DTMF digits, RTP timeout
//	s.SendDTMF("1")                                  // RFC 4733 out
//	s.ReceiveInfoDigit(d)                            // digits from SIP INFO in
//	s.Close()                                        // ends everything
//
// # SDP
//
// An [SDP] value holds the local side of one call's SDP state (session id,
// o= version, local address and RTP port, configuration); it is reused for
// re-INVITEs, and every body it generates increments the o= version. Hold
// is expressed with the local [Direction] passed to Offer/Answer (SendOnly
// or Inactive); the peer's hold (a=sendonly/inactive or c=0.0.0.0) shows in
// [Negotiated.Direction] and is mirrored in the answer.
//
// # Media
//
// [Session.Run] sends frames read from the source, which paces sending (a
// capture device blocks; a file source must be wrapped in
// audio.NewPacedSource), and plays the jitter-buffered audio into the
// sink, whose blocking Write paces playout. With [Options.LoopReceives]
// (as [Manager] sets it) the playout loop also takes the RTP that arrived
// since its last frame, without waiting, so that no reader goroutine
// wakes per packet. No goroutine outlives [Session.Close] or the end of
// Run. The per-frame paths do not allocate.
package media
