package media

import (
	"github.com/sipbell/sipbell/audio/g711"
)

// maxTick is the most samples one RTP clock tick carries (G.722: two).
const maxTick = 2

// maxSamples is the largest audio payload accepted (60 ms of G.711, a bit
// more to tolerate odd packetisation).
const maxSamples = 1024

// receiver turns received audio packets into a steady frame stream:
// statistics, duplicate removal, decoding and the jitter buffer. It does
// no locking; Session serialises access.
type receiver struct {
	stats   recvStats
	jb      *jitterBuffer
	dec     voiceDecoder
	conv    rateConv
	pcm     [maxTick * maxSamples]int16
	frame   [maxTick * frameLen]int16
	dropped uint64 // audio packets refused (too big, bad codec)
}

func newReceiver(minMS, maxMS int) *receiver {
	return &receiver{jb: newJitterBuffer(minMS, maxMS)}
}

// lawOf returns the G.711 law of a negotiated codec, by name (a peer may
// carry PCMU or PCMA in a dynamic payload type).
func lawOf(c Codec) g711.Law {
	switch c.Name {
	case "PCMU":
		return g711.Ulaw
	case "PCMA":
		return g711.Alaw
	}
	return 0
}

// codec sets the codec of the packets to come (a negotiation), so that
// the jitter buffer plays at its rate from the start.
func (r *receiver) codec(c Codec) {
	if r.dec.set(c) {
		r.jb.setTick(c.Rate() / ClockRate)
	}
}

// push handles one audio packet of codec c arriving at arrival (8 kHz
// timestamp units from any fixed origin). A change of the codec's rate
// restarts the jitter buffer at the new one.
func (r *receiver) push(seq uint16, ts uint32, c Codec, payload []byte, arrival uint32) pushResult {
	r.codec(c)
	if len(payload) > maxSamples || !r.dec.ok() {
		r.dropped++
		return pushLate
	}
	if r.stats.update(seq, ts, arrival, true) {
		return pushDuplicate
	}
	n := r.dec.decode(r.pcm[:], payload)
	return r.jb.push(ts, r.pcm[:n])
}

// pop writes the next 20 ms frame into out: 160 samples at 8 kHz or 320
// at 16 kHz, resampled when the codec's rate is the other one.
func (r *receiver) pop(out []int16) {
	n := frameLen * r.jb.tick()
	if len(out) == n {
		r.jb.pop(out)
		return
	}
	r.jb.pop(r.frame[:n])
	copy(out, r.conv.convert(r.frame[:n], len(out)))
}
