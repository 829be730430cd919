package ua

import (
	"github.com/emiago/sipgo/sip"
	"github.com/sipbell/sipbell/ua/media"
)

// earlyMedia plays the audio a 183 Session Progress with SDP announces
// (a queue's music, a "please hold" prompt, a PBX's own ringback) before
// the call is answered: the media starts with the 183's answer, and the
// CallRinging event says EarlyMedia so that the device stops its own
// ringback. Only the first such 183 of a call is taken (with parallel
// ringing, one announcement at a time); the 2xx's answer replaces it.
// The door only listens until the answer.
func (u *UA) earlyMedia(c *call, res *sip.Response) {
	if res.StatusCode != 183 || len(res.Body()) == 0 {
		return
	}
	c.mu.Lock()
	s, had := c.sdp, c.hasEarly
	c.hasEarly = true
	c.mu.Unlock()
	if had || s == nil {
		return
	}
	neg, err := s.ParseAnswer(res.Body())
	if err != nil {
		u.log.Info("183 with an unusable SDP: no early media", "call", c.id, "err", err)
		return
	}
	// Receive only: the door's microphone is not sent to whoever has not
	// answered yet (a queue, an announcement).
	neg.Direction = media.RecvOnly
	if err := u.mediaHandler().Start(c.id, neg); err != nil {
		u.log.Warn("early media start failed", "call", c.id, "err", err)
		return
	}
	u.log.Info("early media", "call", c.id, "codec", neg.Codec.Name)
	ev := c.event(EventCallState)
	ev.State, ev.Code, ev.Reason, ev.EarlyMedia = CallRinging, 183, Status(183).String(), true
	u.emit(ev)
}
