package media

import (
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/g711"
	"github.com/sipbell/sipbell/audio/g722"
)

// voiceEncoder codes the audio we send with the negotiated codec: G.711
// (one byte per 8 kHz sample) or G.722 (one byte per two 16 kHz samples).
// Either way one byte is one tick of the 8 kHz RTP clock.
type voiceEncoder struct {
	name string
	law  g711.Law
	g722 g722.Encoder
}

// set switches to codec c; the G.722 state restarts with a new stream.
func (e *voiceEncoder) set(c Codec) {
	if c.Name != e.name {
		e.name, e.law = c.Name, lawOf(c)
		e.g722.Reset()
	}
}

// encode codes pcm (at the codec's rate) into dst and returns the bytes
// written.
func (e *voiceEncoder) encode(dst []byte, pcm []int16) int {
	if e.name == G722 {
		return e.g722.Encode(dst, pcm)
	}
	return e.law.Encode(dst, pcm)
}

// voiceDecoder decodes received audio payloads; see voiceEncoder.
type voiceDecoder struct {
	name string
	law  g711.Law
	g722 g722.Decoder
}

// set switches to codec c and reports whether the codec changed.
func (d *voiceDecoder) set(c Codec) bool {
	if c.Name == d.name {
		return false
	}
	d.name, d.law = c.Name, lawOf(c)
	d.g722.Reset()
	return true
}

// ok reports whether the decoder has a codec it can decode.
func (d *voiceDecoder) ok() bool { return d.name == G722 || d.law.PayloadType() >= 0 }

// decode expands payload into pcm and returns the samples written.
func (d *voiceDecoder) decode(pcm []int16, payload []byte) int {
	if d.name == G722 {
		return d.g722.Decode(pcm, payload)
	}
	return d.law.Decode(pcm, payload)
}

// rateConv converts 20 ms frames between the rate a call's audio loop
// runs at and the rate of the codec now negotiated, when a re-INVITE
// changed the codec's rate under a running call (G.722 ↔ G.711). It
// allocates only when the pair of rates changes.
type rateConv struct {
	r   *audio.Resampler
	buf []int16
}

// convert returns in resampled to n samples (both 20 ms), or in itself
// when the lengths match.
func (c *rateConv) convert(in []int16, n int) []int16 {
	if len(in) == n {
		return in
	}
	from, to := len(in)*50, n*50
	if f, t := c.rates(); f != from || t != to {
		r, err := audio.NewResampler(from, to)
		if err != nil { // 8000 and 16000 always resample
			return in[:min(len(in), n)]
		}
		c.r = r
	}
	if cap(c.buf) < n {
		c.buf = make([]int16, n)
	}
	out := c.buf[:n]
	if err := c.r.Frame(out, in); err != nil {
		clear(out)
	}
	return out
}

// rates returns the converter's rates, zero when there is none.
func (c *rateConv) rates() (int, int) {
	if c.r == nil {
		return 0, 0
	}
	return c.r.Rates()
}

// FrameSamples returns the samples in one 20 ms frame of the call's
// audio at the negotiated codec's rate: 320 for G.722 (16 kHz), else 160.
// Run uses it when it starts; before Start it is 160.
func (s *Session) FrameSamples() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return frameLen
	}
	return s.neg.Codec.FrameSamples()
}

// audioRate returns the rate Run's audio runs at for Options.AudioRate:
// 16000 when asked, else 8000.
func audioRate(r int) int {
	if r == 16000 {
		return r
	}
	return 8000
}

// audioFrame returns the samples of one 20 ms frame of Run's audio.
func (s *Session) audioFrame() int { return s.audioRate / 50 }
