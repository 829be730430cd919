package tone

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestPhonePlans(t *testing.T) {
	tests := []struct {
		country string
		kind    Kind
		freqs   []float64
		first   []int // the cadence's first steps, ms
	}{
		{"US", Stutter, []float64{350, 440}, []int{100, 100, 100}},
		{"de", Stutter, []float64{425}, []int{100, 100}},
		{"UK", Howler, []float64{1400, 2060, 2450, 2600}, []int{100, 100}},
		{"US", CallWaiting, []float64{440}, []int{300, 9700}},
		{"GB", CallWaiting, []float64{400}, []int{100, 2900}},
		{"DE", CallWaiting, []float64{425}, []int{200, 200, 200, 5000}},
		{"FR", CallWaiting, []float64{440}, []int{300, 10000}},
		{"NL", CallWaiting, []float64{425}, []int{500, 9500}},
	}
	for _, tt := range tests {
		p, err := Lookup(tt.country, tt.kind)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.country, tt.kind, err)
		}
		if !slices.Equal(p.Freqs, tt.freqs) || !slices.Equal(p.Cadence[:len(tt.first)], ms(tt.first...)) {
			t.Errorf("%s %s = %v, want %v starting %v ms", tt.country, tt.kind, p, tt.freqs, tt.first)
		}
		gain := DefaultGain
		if tt.kind == Howler {
			gain = HowlerGain
		}
		g, err := New(p, gain)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.country, tt.kind, err)
		}
		if err := g.Read(context.Background(), make([]int16, 160)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []Kind{Stutter, Howler, CallWaiting} {
		if k.String() == "" || k.String()[0] == 't' {
			t.Errorf("kind %d has no name: %q", k, k)
		}
	}
}

func TestRing(t *testing.T) {
	tests := []struct {
		country string
		hz      int
		cadence []int
	}{
		{"US", 20, []int{2000, 4000}},
		{"uk", 25, []int{400, 200, 400, 2000}},
		{"DE", 25, []int{1000, 4000}},
		{"NL", 25, []int{1000, 4000}},
		{"FR", 50, []int{1500, 3500}},
	}
	for _, tt := range tests {
		p, err := Ring(tt.country)
		if err != nil || p.Hz != tt.hz || !slices.Equal(p.Cadence, ms(tt.cadence...)) {
			t.Errorf("Ring(%s) = %v, %v; want %d Hz %v ms", tt.country, p, err, tt.hz, tt.cadence)
		}
	}
	if _, err := Ring("XX"); err == nil {
		t.Error("Ring(XX) succeeded")
	}
	p, _ := Ring("US")
	p.Cadence[0] = time.Second
	if q, _ := Ring("US"); q.Cadence[0] != 2*time.Second {
		t.Error("Ring returns the table's own slice")
	}
}
