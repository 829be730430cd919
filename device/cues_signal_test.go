package device_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sipbell/sipbell/device"
)

func TestCuesPlaySignal(t *testing.T) {
	t.Parallel()
	q, err := device.NewCues("US", device.Prompts{})
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]int16, 250)
	for i := range sig {
		sig[i] = int16(i + 1)
	}
	if err := q.PlaySignal(sig); err != nil {
		t.Fatal(err)
	}
	var got []int16
	f := make([]int16, 160)
	for range 3 {
		if !q.Active() && len(got) < len(sig) {
			t.Fatal("the signal stopped early")
		}
		if err := q.Read(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f...)
	}
	if !slices.Equal(got[:250], sig) || slices.ContainsFunc(got[250:], func(v int16) bool { return v != 0 }) || q.Active() {
		t.Errorf("played %v, active %v", got, q.Active())
	}
	q.Close()
	if err := q.PlaySignal(sig); err == nil {
		t.Error("PlaySignal after Close succeeded")
	}
}
