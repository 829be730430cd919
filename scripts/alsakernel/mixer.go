//go:build linux

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sipbell/sipbell/audio/alsa"
)

// mixerChecks drive the Loopback card's control device through
// audio/alsa's mixer: list the controls, read and write an integer
// ("PCM Rate Shift 100000", 80000..120000) and a boolean ("PCM Notify")
// and read them back from the kernel, set by percentage, and name an
// absent control.
func mixerChecks(report func(string, error, string)) {
	m, err := alsa.OpenMixer("hw:CARD=Loopback")
	if err != nil {
		report("open mixer", err, "")
		return
	}
	defer m.Close()
	report("open mixer", nil, "path="+m.Path())
	cs, err := m.Controls()
	var names []string
	for _, c := range cs {
		names = append(names, fmt.Sprintf("%s[%d]:%s", c.Name, c.Index, c.Type))
	}
	if err == nil && len(cs) == 0 {
		err = errors.New("no controls listed")
	}
	report("list controls", err, fmt.Sprintf("n=%d first=%s", len(cs), strings.Join(names[:min(3, len(names))], ",")))

	const shift = "PCM Rate Shift 100000"
	c, err := m.Get(shift, 0)
	if err == nil && (c.Type != "integer" || c.Min != 80000 || c.Max != 120000 || !c.Writable) {
		err = fmt.Errorf("got %+v, want a writable integer 80000..120000", c)
	}
	report("integer control info", err, fmt.Sprintf("values=%v", c.Values))
	c, err = m.Set(shift, 0, 91234)
	if err == nil {
		if again, gerr := m.Get(shift, 0); gerr != nil || again.Values[0] != 91234 || c.Values[0] != 91234 {
			err = fmt.Errorf("wrote 91234, read back %v / %v (%v)", c.Values, again.Values, gerr)
		}
	}
	report("integer control write and read back", err, fmt.Sprintf("values=%v", c.Values))
	v, err := c.ParseValue("25%")
	if err == nil {
		c, err = m.Set(shift, 0, v)
	}
	if err == nil && c.Values[0] != 90000 {
		err = fmt.Errorf("25%% set %v, want 90000", c.Values)
	}
	report("integer control by percent", err, fmt.Sprintf("values=%v percent=%.0f", c.Values, c.Percent()))
	if _, err := m.Set(shift, 0, 200000); err == nil {
		report("out-of-range value refused", errors.New("200000 accepted"), "")
	} else {
		report("out-of-range value refused", nil, "")
	}

	b, err := m.Get("PCM Notify", 0)
	if err == nil {
		want := 1 - b.Values[0]
		b, err = m.Set("PCM Notify", 0, want)
		if err == nil && (b.Type != "boolean" || b.Values[0] != want) {
			err = fmt.Errorf("boolean set to %d, read %+v", want, b)
		}
	}
	report("boolean control write and read back", err, fmt.Sprintf("values=%v", b.Values))

	_, err = m.Get("Speaker Playback Volume", 0)
	if errors.Is(err, alsa.ErrNoControl) {
		err = nil
	} else if err == nil {
		err = errors.New("an absent control was found")
	}
	report("absent control gives ErrNoControl", err, "")
}
