package alsa

import "testing"

func TestControlParseValue(t *testing.T) {
	t.Parallel()
	vol := Control{Name: "Speaker Playback Volume", Type: "integer", Min: 0, Max: 127, Step: 1, Values: []int{100, 100}}
	sw := Control{Name: "Speaker Switch", Type: "boolean", Min: 0, Max: 1}
	enum := Control{Name: "ADC Data Output Select", Type: "enumerated", Min: 0, Max: 3, Items: []string{"Left Data = Left ADC;  Right Data = Right ADC", "Mono", "Left", "Right"}}
	stepped := Control{Name: "Stepped", Type: "integer", Min: -10, Max: 10, Step: 5}
	for _, tc := range []struct {
		c    Control
		in   string
		want int
		ok   bool
	}{
		{vol, "80%", 102, true},
		{vol, "100%", 127, true},
		{vol, "0%", 0, true},
		{vol, "127", 127, true},
		{vol, "128", 0, false},
		{vol, "-1", 0, false},
		{vol, "101%", 0, false},
		{vol, "loud", 0, false},
		{sw, "on", 1, true},
		{sw, "off", 0, true},
		{sw, "1", 1, true},
		{enum, "Mono", 1, true},
		{enum, "Stereo", 0, false},
		{stepped, "60%", 0, true},
		{stepped, "80%", 5, true},
	} {
		got, err := tc.c.ParseValue(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%s %q: %d, %v; want %d ok=%v", tc.c.Name, tc.in, got, err, tc.want, tc.ok)
		}
	}
	if p := vol.Percent(); p < 78 || p > 79 {
		t.Errorf("percent of 100/127 = %.1f", p)
	}
}
