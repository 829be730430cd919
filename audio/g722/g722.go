// Package g722 encodes and decodes ITU-T G.722 wideband audio (7 kHz,
// 64 kbit/s sub-band ADPCM) between 16 kHz 16-bit PCM and the G.722 byte
// stream, into caller-supplied buffers and without allocating.
//
// It is written from the Recommendation's description: a 24-tap QMF
// splits the signal into a lower and a higher sub-band at 8 kHz each; the
// lower band is coded with 6 bits per sample (an adaptive 6-bit quantiser
// whose 4 most significant bits drive the adaptation), the higher band
// with 2 bits; both bands use the same adaptive predictor (two poles, six
// zeros) and logarithmic scale-factor adaptation. One byte carries the
// 2-bit higher and 6-bit lower code of two PCM samples.
//
// PCM is 16-bit: the QMF filters the full 16-bit samples (the
// Recommendation's interface is 14-bit uniform PCM; the sub-band signals
// keep the Recommendation's 15-bit range) and the decoder's output is
// limited to 16 bits. The arithmetic is the Recommendation's, as the
// ITU-T G.191 reference code has it: the sub-band samples are limited to
// 15 bits and every partial sum of the predictors to 16. Encoder and
// decoder are bit-exact with ffmpeg's G.722 (Debian's ffmpeg 5.1) in all
// three modes until a clipped full-scale input overshoots the sub-band
// range or a predictor sum leaves 16 bits: ffmpeg limits neither. The
// tests hold vectors ffmpeg made.
//
// An Encoder or Decoder holds the state of one stream: use one per
// direction of a call and Reset it when the stream restarts. The zero
// values are ready to use (a zero Decoder decodes mode 1, 64 kbit/s).
package g722

import "fmt"

// Mode is the G.722 mode of operation: how many bits of each byte carry
// audio. The encoder always produces mode 1 streams; modes 2 and 3 tell a
// decoder that the lowest 1 or 2 bits of each byte are auxiliary data.
type Mode uint8

// The three modes of G.722. The zero Mode means Mode1.
const (
	Mode1 Mode = iota + 1 // 64 kbit/s audio (6-bit lower sub-band)
	Mode2                 // 56 kbit/s audio + 8 kbit/s data (5-bit lower sub-band)
	Mode3                 // 48 kbit/s audio + 16 kbit/s data (4-bit lower sub-band)
)

// String returns the mode's bit rate, e.g. "64kbit/s".
func (m Mode) String() string {
	switch m {
	case 0, Mode1:
		return "64kbit/s"
	case Mode2:
		return "56kbit/s"
	case Mode3:
		return "48kbit/s"
	}
	return fmt.Sprintf("g722.Mode(%d)", uint8(m))
}

// Encoder compresses 16 kHz PCM into a mode 1 G.722 stream. It keeps the
// state of one stream; the zero value is ready to use.
type Encoder struct {
	low, high band
	x         [46]int32 // transmit QMF delay line: x[xn-24:xn], oldest first
	xn        int
	ready     bool
}

// Reset returns the encoder to the Recommendation's initial state, for a
// new stream.
func (e *Encoder) Reset() {
	e.low.reset(32)
	e.high.reset(8)
	e.x = [46]int32{}
	e.xn = 24
	e.ready = true
}

// Encode compresses pairs of PCM samples into dst, one byte per pair, and
// returns the number of bytes written: min(len(dst), len(pcm)/2). A last
// odd sample is not encoded; give frames of an even length (a 20 ms frame
// is 320 samples, 160 bytes).
func (e *Encoder) Encode(dst []byte, pcm []int16) int {
	if !e.ready {
		e.Reset()
	}
	n := min(len(dst), len(pcm)/2)
	for i := range n {
		xl, xh := e.qmf(int32(pcm[2*i]), int32(pcm[2*i+1]))
		il := quantL(sat16(xl-e.low.s), e.low.det)
		ih := quantH(sat16(xh-e.high.s), e.high.det)
		e.low.lowAdapt(il >> 2)
		e.high.highAdapt(ih)
		dst[i] = ih<<6 | il
	}
	return n
}

// Decoder expands a G.722 stream into 16 kHz PCM. It keeps the state of
// one stream; the zero value is ready to use and decodes mode 1.
type Decoder struct {
	// Mode is the mode of operation of the stream (0, and any value that
	// is no Mode, decode as Mode1); it may change between calls, as the
	// Recommendation lets the mode change between bytes.
	Mode      Mode
	low, high band
	xd, xs    [23]int32 // receive QMF delay lines: [xn-12:xn], oldest first
	xn        int
	ready     bool
}

// Reset returns the decoder to the Recommendation's initial state, for a
// new stream; the Mode is kept.
func (d *Decoder) Reset() {
	d.low.reset(32)
	d.high.reset(8)
	d.xd = [23]int32{}
	d.xs = [23]int32{}
	d.xn = 12
	d.ready = true
}

// Decode expands data into pcm, two samples per byte, and returns the
// number of samples written: 2*min(len(pcm)/2, len(data)).
func (d *Decoder) Decode(pcm []int16, data []byte) int {
	if !d.ready {
		d.Reset()
	}
	n := min(len(pcm)/2, len(data))
	for i, c := range data[:n] {
		il := c & 63
		var dl int32
		switch d.Mode {
		case Mode2:
			dl = (d.low.det * qq5[il>>1]) >> 12
		case Mode3:
			dl = (d.low.det * qq4[il>>2]) >> 12
		default:
			dl = (d.low.det * qq6[il]) >> 12
		}
		rl := limit(d.low.s + dl)
		d.low.lowAdapt(il >> 2)
		rh := d.high.highAdapt(c >> 6)
		pcm[2*i], pcm[2*i+1] = d.qmf(rl, rh)
	}
	return 2 * n
}
