package aec

import (
	"errors"
	"testing"
	"time"
)

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"rate 44100", Config{SampleRate: 44100}},
		{"no rate", Config{}},
		{"tail 2s", Config{SampleRate: 8000, Tail: 2 * time.Second}},
		{"negative tail", Config{SampleRate: 8000, Tail: -time.Millisecond}},
		{"block 48", Config{SampleRate: 8000, Block: 48}},
		{"block 8", Config{SampleRate: 8000, Block: 8}},
		{"block 1024", Config{SampleRate: 16000, Block: 1024}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("New(%+v) = %v, want ErrConfig", tc.cfg, err)
			}
		})
	}
}

func TestProcessRejectsFrames(t *testing.T) {
	c, err := New(Config{SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		far, near, out int
	}{
		{"not a multiple of the block", 100, 100, 100},
		{"far shorter", 80, 160, 160},
		{"out shorter", 160, 160, 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Process(make([]int16, tc.far), make([]int16, tc.near), make([]int16, tc.out))
			if !errors.Is(err, ErrFrame) {
				t.Errorf("Process = %v, want ErrFrame", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		rate, block, parts int
	}{
		{8000, 32, 32},  // 128 ms
		{16000, 64, 32}, // 128 ms
	} {
		c, err := New(Config{SampleRate: tc.rate})
		if err != nil {
			t.Fatal(err)
		}
		if c.Block() != tc.block || c.mdf.p != tc.parts || c.Latency() != tc.block {
			t.Errorf("%d Hz: block %d, partitions %d, latency %d; want %d, %d, %d",
				tc.rate, c.Block(), c.mdf.p, c.Latency(), tc.block, tc.parts, tc.block)
		}
	}
	c, err := New(Config{SampleRate: 8000, Tail: 300 * time.Millisecond, SuppressDB: -1})
	if err != nil {
		t.Fatal(err)
	}
	if c.mdf.p != 75 || c.Latency() != 0 {
		t.Errorf("300 ms tail without suppressor: %d partitions, latency %d; want 75, 0", c.mdf.p, c.Latency())
	}
}

// TestNoAllocations: processing a 10 or 20 ms frame allocates nothing.
func TestNoAllocations(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		c, err := New(Config{SampleRate: rate, Block: rate / 500, ComfortNoise: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, ms := range []int{10, 20} {
			n := rate * ms / 1000
			far, near, out := make([]int16, n), make([]int16, n), make([]int16, n)
			for i := range far {
				far[i] = int16(3000 * ((i*7)%13 - 6))
				near[i] = far[i] / 3
			}
			if a := testing.AllocsPerRun(50, func() {
				if err := c.Process(far, near, out); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("%d Hz, %d ms frames: %v allocations per frame", rate, ms, a)
			}
		}
	}
}
