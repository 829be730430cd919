package fdtimer

import (
	"testing"
	"time"
)

// TestFDTimer: the timerfd timer fires once after its duration, or not
// at all when stopped first; Stop says which, and its goroutine ends
// either way (nothing leaks per keep-alive).
func TestFDTimer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		d         time.Duration
		stopFirst bool
	}{
		{"fires", time.Millisecond, false},
		{"zero fires", 0, false},
		{"stopped", time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tm, err := New(tc.d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.stopFirst {
				if !tm.Stop() {
					t.Error("Stop before expiry reported the timer fired")
				}
			} else {
				select {
				case <-tm.C():
				case <-time.After(10 * time.Second):
					t.Fatal("the timer never fired")
				}
				if tm.Stop() {
					t.Error("Stop after expiry reported it stopped the timer")
				}
			}
			select {
			case <-tm.done:
			case <-time.After(10 * time.Second):
				t.Fatal("the timer's goroutine did not end")
			}
			if tc.stopFirst {
				select {
				case <-tm.C():
					t.Error("a stopped timer fired")
				default:
				}
			}
		})
	}
}

// TestFDTicker: the periodic timerfd fires again and again until
// stopped, and its goroutine ends then.
func TestFDTicker(t *testing.T) {
	t.Parallel()
	tk, err := New(time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case <-tk.C():
		case <-time.After(10 * time.Second):
			t.Fatal("the ticker stopped ticking")
		}
	}
	tk.Stop()
	select {
	case <-tk.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the ticker's goroutine did not end")
	}
}

// TestSleeper: one Sleeper sleeps again and again, never less than asked
// (the audio clock's frame wait must not return early), and a closed one
// reports an error instead of sleeping.
func TestSleeper(t *testing.T) {
	t.Parallel()
	s, err := NewSleeper()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{time.Microsecond, 2 * time.Millisecond, 50 * time.Microsecond} {
		start := time.Now()
		if err := s.Sleep(d); err != nil {
			t.Fatalf("Sleep(%v): %v", d, err)
		}
		if got := time.Since(start); got < d {
			t.Errorf("Sleep(%v) returned after %v", d, got)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Sleep(time.Millisecond); err == nil {
		t.Error("a closed Sleeper slept")
	}
}
