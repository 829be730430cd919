// Package g711 encodes and decodes G.711 µ-law (PCMU) and A-law (PCMA)
// frames into caller-supplied buffers, without allocating.
//
// The per-sample conversions are github.com/zaf/g711's; its slice helpers
// allocate a new slice per call, so they are not used.
package g711

import (
	"fmt"

	"github.com/zaf/g711"
)

// Law selects the G.711 companding law.
type Law uint8

// The two G.711 laws. The zero value is not a valid Law.
const (
	Ulaw Law = iota + 1 // µ-law, RTP payload type 0 (PCMU)
	Alaw                // A-law, RTP payload type 8 (PCMA)
)

// String returns "PCMU" or "PCMA", the SDP encoding name.
func (l Law) String() string {
	switch l {
	case Ulaw:
		return "PCMU"
	case Alaw:
		return "PCMA"
	}
	return fmt.Sprintf("g711.Law(%d)", uint8(l))
}

// PayloadType returns the static RTP payload type (0 or 8), or -1 for an
// invalid Law.
func (l Law) PayloadType() int {
	switch l {
	case Ulaw:
		return 0
	case Alaw:
		return 8
	}
	return -1
}

// Encode compresses pcm into dst (one byte per sample) and returns the
// number of bytes written, min(len(dst), len(pcm)). An invalid Law writes
// nothing.
func (l Law) Encode(dst []byte, pcm []int16) int {
	switch l {
	case Ulaw:
		return EncodeUlaw(dst, pcm)
	case Alaw:
		return EncodeAlaw(dst, pcm)
	}
	return 0
}

// Decode expands src into pcm and returns the number of samples written,
// min(len(pcm), len(src)). An invalid Law writes nothing.
func (l Law) Decode(pcm []int16, src []byte) int {
	switch l {
	case Ulaw:
		return DecodeUlaw(pcm, src)
	case Alaw:
		return DecodeAlaw(pcm, src)
	}
	return 0
}

// EncodeUlaw compresses pcm into dst as µ-law; see Law.Encode.
func EncodeUlaw(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm))
	for i, s := range pcm[:n] {
		dst[i] = g711.EncodeUlawFrame(s)
	}
	return n
}

// DecodeUlaw expands µ-law src into pcm; see Law.Decode.
func DecodeUlaw(pcm []int16, src []byte) int {
	n := min(len(pcm), len(src))
	for i, b := range src[:n] {
		pcm[i] = g711.DecodeUlawFrame(b)
	}
	return n
}

// EncodeAlaw compresses pcm into dst as A-law; see Law.Encode.
func EncodeAlaw(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm))
	for i, s := range pcm[:n] {
		dst[i] = g711.EncodeAlawFrame(s)
	}
	return n
}

// DecodeAlaw expands A-law src into pcm; see Law.Decode.
func DecodeAlaw(pcm []int16, src []byte) int {
	n := min(len(pcm), len(src))
	for i, b := range src[:n] {
		pcm[i] = g711.DecodeAlawFrame(b)
	}
	return n
}
