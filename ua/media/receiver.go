package media

import (
	"github.com/sipbell/sipbell/audio/g711"
)

// maxSamples is the largest audio payload accepted (60 ms of G.711, a bit
// more to tolerate odd packetisation).
const maxSamples = 1024

// receiver turns received audio packets into a steady frame stream:
// statistics, duplicate removal, decoding and the jitter buffer. It does
// no locking; Session serialises access.
type receiver struct {
	stats   recvStats
	jb      *jitterBuffer
	pcm     [maxSamples]int16
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

// push handles one audio packet arriving at arrival (8 kHz timestamp
// units from any fixed origin).
func (r *receiver) push(seq uint16, ts uint32, law g711.Law, payload []byte, arrival uint32) pushResult {
	if len(payload) > maxSamples || law.PayloadType() < 0 {
		r.dropped++
		return pushLate
	}
	if r.stats.update(seq, ts, arrival, true) {
		return pushDuplicate
	}
	n := law.Decode(r.pcm[:len(payload)], payload)
	return r.jb.push(ts, r.pcm[:n])
}

// pop writes the next frame (160 samples) into out.
func (r *receiver) pop(out []int16) {
	r.jb.pop(out)
}
