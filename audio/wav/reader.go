// Package wav reads and writes RIFF WAVE files of 16-bit PCM and offers
// them as audio sources and sinks: a file source paced like a microphone,
// a file sink that records a call, and a prompt player.
//
// The reader accepts mono or stereo at any rate the resampler handles and
// converts to the call format (8 kHz mono); the writer writes 16-bit mono.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Errors returned by NewReader; each is wrapped with the offending detail.
var (
	// ErrNotWAV means the data does not start with a RIFF/WAVE header.
	ErrNotWAV = errors.New("wav: not a RIFF WAVE file")
	// ErrNotPCM means the file is compressed or floating point.
	ErrNotPCM = errors.New("wav: not integer PCM")
	// ErrFormat means PCM the reader does not take (not 16-bit, more than
	// two channels, a zero or absurd rate).
	ErrFormat = errors.New("wav: unsupported PCM format")
	// ErrTruncated means the file ended inside the header.
	ErrTruncated = errors.New("wav: truncated header")
	// ErrHeader means a header chunk is malformed or larger than allowed.
	ErrHeader = errors.New("wav: bad header")
)

// Header limits: the fmt chunk is at most maxFmt bytes, and at most
// maxSkip bytes of other chunks (LIST, fact...) may precede the data.
const (
	maxFmt  = 1024
	maxSkip = 1 << 20
	maxRate = 384000
)

const (
	formatPCM        = 1
	formatExtensible = 0xfffe
)

// Format describes a 16-bit PCM stream.
type Format struct {
	Rate     int // samples per second per channel
	Channels int // 1 or 2
}

// Reader reads the 16-bit PCM samples of a WAV stream, mixed down to mono
// at the file's own rate.
type Reader struct {
	r      io.Reader
	format Format
	left   int64 // data bytes not yet read; -1 when unknown (streamed)
	buf    [4096]byte
	rest   [4]byte // bytes of an incomplete sample frame carried over
	nrest  int
}

// NewReader parses the header of a WAV stream up to the start of its
// samples.
func NewReader(r io.Reader) (*Reader, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return nil, truncated("RIFF header", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: starts with %q", ErrNotWAV, riff[0:4])
	}
	rd := &Reader{r: r}
	var haveFmt bool
	var skipped int64
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, truncated("chunk header", err)
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if err := rd.readFmt(size); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrHeader)
			}
			rd.left = size
			if size == 0xffffffff || size == 0 {
				rd.left = -1 // streamed: read until EOF
			}
			return rd, nil
		default:
			skipped += size + size&1
			if skipped > maxSkip {
				return nil, fmt.Errorf("%w: %d bytes of chunks before the data (limit %d)", ErrHeader, skipped, maxSkip)
			}
			if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
				return nil, truncated(fmt.Sprintf("%q chunk", id), err)
			}
		}
	}
}

func truncated(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: file ends in the %s", ErrTruncated, what)
	}
	return fmt.Errorf("wav: reading the %s: %w", what, err)
}

func (rd *Reader) readFmt(size int64) error {
	if size < 16 || size > maxFmt {
		return fmt.Errorf("%w: fmt chunk of %d bytes (want 16..%d)", ErrHeader, size, maxFmt)
	}
	var b [maxFmt + 1]byte
	chunk := b[:size+size&1]
	if _, err := io.ReadFull(rd.r, chunk); err != nil {
		return truncated("fmt chunk", err)
	}
	tag := binary.LittleEndian.Uint16(chunk[0:2])
	channels := int(binary.LittleEndian.Uint16(chunk[2:4]))
	rate := int(binary.LittleEndian.Uint32(chunk[4:8]))
	bits := int(binary.LittleEndian.Uint16(chunk[14:16]))
	if tag == formatExtensible {
		if size < 40 {
			return fmt.Errorf("%w: extensible fmt chunk of %d bytes (want 40)", ErrHeader, size)
		}
		tag = binary.LittleEndian.Uint16(chunk[24:26]) // sub-format GUID
	}
	switch {
	case tag != formatPCM:
		return fmt.Errorf("%w: format tag %#04x", ErrNotPCM, tag)
	case bits != 16:
		return fmt.Errorf("%w: %d bits per sample (want 16)", ErrFormat, bits)
	case channels != 1 && channels != 2:
		return fmt.Errorf("%w: %d channels (want 1 or 2)", ErrFormat, channels)
	case rate <= 0 || rate > maxRate:
		return fmt.Errorf("%w: sample rate %d Hz", ErrFormat, rate)
	}
	rd.format = Format{Rate: rate, Channels: channels}
	return nil
}

// Format returns the stream's format.
func (rd *Reader) Format() Format { return rd.format }

// Read fills dst with mono samples at the file's rate (stereo is averaged)
// and returns how many it wrote. At the end of the data it returns 0 and
// io.EOF; a trailing partial sample is dropped.
func (rd *Reader) Read(dst []int16) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	fs := 2 * rd.format.Channels // bytes per sample frame
	n := copy(rd.buf[:], rd.rest[:rd.nrest])
	space := min(len(dst)*fs, len(rd.buf)) - n
	if rd.left >= 0 {
		space = int(min(int64(space), rd.left))
	}
	if n+space < fs {
		return 0, io.EOF
	}
	m, err := io.ReadAtLeast(rd.r, rd.buf[n:n+space], fs-n)
	if rd.left >= 0 {
		rd.left -= int64(m)
	}
	n += m
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			rd.left, rd.nrest = 0, 0
			return 0, io.EOF
		}
		return 0, fmt.Errorf("wav: reading samples: %w", err)
	}
	whole := n / fs
	rd.nrest = copy(rd.rest[:], rd.buf[whole*fs:n])
	b := rd.buf[:whole*fs]
	if rd.format.Channels == 1 {
		for i := range whole {
			dst[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
	} else {
		for i := range whole {
			l := int32(int16(binary.LittleEndian.Uint16(b[4*i:])))
			r := int32(int16(binary.LittleEndian.Uint16(b[4*i+2:])))
			dst[i] = int16((l + r) >> 1)
		}
	}
	return whole, nil
}
