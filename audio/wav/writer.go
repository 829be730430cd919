package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sipbell/sipbell/audio"
)

// ErrTooLong is returned when a recording would exceed the 4 GiB WAV limit.
var ErrTooLong = errors.New("wav: file would exceed 4 GiB")

const headerSize = 44

// Writer writes mono 16-bit PCM as a WAV stream. The header's sizes are
// filled in by Close, which needs to seek back to the start.
type Writer struct {
	w    io.WriteSeeker
	rate int
	data int64 // data bytes written
	buf  [4096]byte
	done bool
}

// NewWriter writes a WAV header for mono 16-bit PCM at rate Hz to w.
func NewWriter(w io.WriteSeeker, rate int) (*Writer, error) {
	if rate <= 0 || rate > maxRate {
		return nil, fmt.Errorf("%w: sample rate %d Hz", ErrFormat, rate)
	}
	wr := &Writer{w: w, rate: rate}
	if _, err := w.Write(wr.header()); err != nil {
		return nil, fmt.Errorf("wav: writing header: %w", err)
	}
	return wr, nil
}

func (wr *Writer) header() []byte {
	h := make([]byte, headerSize)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(36+wr.data))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], formatPCM)
	le.PutUint16(h[22:], 1)
	le.PutUint32(h[24:], uint32(wr.rate))
	le.PutUint32(h[28:], uint32(wr.rate*2))
	le.PutUint16(h[32:], 2)
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(wr.data))
	return h
}

// Write appends samples.
func (wr *Writer) Write(samples []int16) error {
	if wr.done {
		return audio.ErrClosed
	}
	if wr.data+2*int64(len(samples)) > 0xffffffff-headerSize {
		return ErrTooLong
	}
	for len(samples) > 0 {
		n := min(len(samples), len(wr.buf)/2)
		for i, v := range samples[:n] {
			binary.LittleEndian.PutUint16(wr.buf[2*i:], uint16(v))
		}
		m, err := wr.w.Write(wr.buf[:2*n])
		wr.data += int64(m)
		if err != nil {
			return fmt.Errorf("wav: writing samples: %w", err)
		}
		samples = samples[n:]
	}
	return nil
}

// Close writes the final sizes into the header. It does not close the
// underlying writer.
func (wr *Writer) Close() error {
	if wr.done {
		return nil
	}
	wr.done = true
	if _, err := wr.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("wav: finishing header: %w", err)
	}
	if _, err := wr.w.Write(wr.header()); err != nil {
		return fmt.Errorf("wav: finishing header: %w", err)
	}
	_, err := wr.w.Seek(0, io.SeekEnd)
	return err
}

// writeBytes appends samples already encoded as 16-bit little-endian.
func (wr *Writer) writeBytes(b []byte) error {
	if wr.done {
		return audio.ErrClosed
	}
	if wr.data+int64(len(b)) > 0xffffffff-headerSize {
		return ErrTooLong
	}
	m, err := wr.w.Write(b)
	wr.data += int64(m)
	if err != nil {
		return fmt.Errorf("wav: writing samples: %w", err)
	}
	return nil
}
