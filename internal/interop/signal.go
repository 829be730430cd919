package interop

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// WriteWAV writes samples as an 8 kHz mono 16-bit PCM WAV file (the
// format baresip's aufile source plays and sipbell's WAV capture reads).
func WriteWAV(t testing.TB, path string, samples []int16) {
	t.Helper()
	if err := os.WriteFile(path, EncodeWAV(samples), 0o644); err != nil {
		t.Fatalf("write wav %s: %v", path, err)
	}
}

// EncodeWAV returns samples as the bytes of an 8 kHz mono 16-bit PCM WAV
// file.
func EncodeWAV(samples []int16) []byte { return EncodeWAVRate(samples, 8000) }

// EncodeWAVRate returns samples as the bytes of a mono 16-bit PCM WAV file
// at rate Hz (16000: wideband audio).
func EncodeWAVRate(samples []int16, rate int) []byte {
	n := len(samples)
	b := make([]byte, 44+2*n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i, v := range samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// SetSource replaces what baresip plays as its microphone in the calls
// that start from now on (its aufile source opens the file per call)
// with samples, an 8 kHz mono signal.
func (b *Baresip) SetSource(t testing.TB, samples []int16) {
	t.Helper()
	// StartBaresip keeps its source beside the recording directory.
	WriteWAV(t, filepath.Join(filepath.Dir(b.RecordDir), "tone.wav"), samples)
}

// Pid returns the process id of the running baresip, e.g. to read its
// CPU time and memory from /proc or to find its sockets.
func (b *Baresip) Pid() int { return b.p.cmd.Process.Pid }

// String names the peer for messages.
func (b *Baresip) String() string { return fmt.Sprintf("baresip %s", b.URI) }

// Events returns the ctrl_tcp events of type typ seen so far, oldest
// first (e.g. every CALL_DTMF_START, whose "param" is the digit).
func (b *Baresip) Events(typ string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, e := range b.events {
		if e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// WaitEvents waits until n events of type typ have been seen and
// returns them (more may have arrived).
func (b *Baresip) WaitEvents(ctx context.Context, typ string, n int) ([]map[string]any, error) {
	for {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		if evs := b.Events(typ); len(evs) >= n {
			return evs, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return b.Events(typ), fmt.Errorf("baresip events %s x%d: %w", typ, n, ctx.Err())
		}
	}
}

// SetSourceRate is SetSource with samples at rate Hz (16000: a wideband
// signal for a G.722 call).
func (b *Baresip) SetSourceRate(t testing.TB, samples []int16, rate int) {
	t.Helper()
	path := filepath.Join(filepath.Dir(b.RecordDir), "tone.wav")
	if err := os.WriteFile(path, EncodeWAVRate(samples, rate), 0o644); err != nil {
		t.Fatalf("write wav %s: %v", path, err)
	}
}
