package board

import (
	"context"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// inputEvent encodes one struct input_event as the kernel writes it on
// this platform.
func inputEvent(typ, code uint16, value int32) []byte {
	b := make([]byte, eventSize)
	tail := b[eventSize-8:]
	binary.NativeEndian.PutUint16(tail[0:], typ)
	binary.NativeEndian.PutUint16(tail[2:], code)
	binary.NativeEndian.PutUint32(tail[4:], uint32(value))
	return b
}

// TestReadKeys: a USB keypad's events, written in pieces as a pipe may
// deliver them: each key's press counts once (not its release, its
// auto-repeat, the sync reports or keys a code has not).
func TestReadKeys(t *testing.T) {
	const evSyn, keyA = 0, 30
	var stream []byte
	for _, e := range []struct {
		typ, code uint16
		val       int32
	}{
		{evKey, 79, 1}, {evKey, 79, 0}, {evSyn, 0, 0}, // KP1
		{evKey, 3, 1}, {evKey, 3, 2}, {evKey, 3, 0}, // 2, held (repeat)
		{evKey, keyA, 1}, {evKey, keyA, 0}, // not a code key
		{evKey, keyKPStar, 1}, {evKey, 82, 1}, {evKey, keyKPEnt, 1}, {evKey, keyEnter, 1},
	} {
		stream = append(stream, inputEvent(e.typ, e.code, e.val)...)
	}
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(stream); i += 5 { // pieces across event boundaries
			_, _ = pw.Write(stream[i:min(i+5, len(stream))])
		}
		_ = pw.Close()
	}()
	var got []byte
	if err := readKeys(pr, func(k byte) { got = append(got, k) }); err != io.EOF {
		t.Fatalf("readKeys: %v, want EOF", err)
	}
	if string(got) != "12*0##" {
		t.Fatalf("keys %q, want %q", got, "12*0##")
	}
}

// TestSimKeys: the sim board's keypad gives KeyPressed events in order,
// and refuses keys a keypad has not.
func TestSimKeys(t *testing.T) {
	b, err := Open(Config{Profile: "sim"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Sim().Keys(ctx, "4A"); err == nil {
		t.Fatal("key A accepted")
	}
	if err := b.Sim().Keys(ctx, "7*#"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < 4 {
		select {
		case e := <-b.Events():
			if e.Role == Keypad && e.Kind == KeyPressed {
				got = append(got, e.Key)
			}
		case <-ctx.Done():
			t.Fatalf("keys so far %q", got)
		}
	}
	if string(got) != "47*#" {
		t.Fatalf("keys %q, want 47*# (the 4 before the refused A)", got)
	}
}
