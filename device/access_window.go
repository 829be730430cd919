package device

import (
	"fmt"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Window is a weekly time window, in the time zone of
// device.door.access.time_zone (else device.time_zone).
type Window struct {
	// Days are the weekdays the window starts on ("mon", "tue", "wed",
	// "thu", "fri", "sat", "sun"); empty means every day.
	Days []string `yaml:"days"`
	// From is when the window opens, "hh:mm".
	From string `yaml:"from"`
	// Until is when it closes, "hh:mm"; an Until at or before From
	// closes the next day (22:00 to 06:00 is a night).
	Until string `yaml:"until"`
}

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseClock reads "hh:mm" as minutes after midnight.
func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("must be hh:mm, not %q", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return 0, fmt.Errorf("must be hh:mm, not %q", s)
	}
	return h*60 + m, nil
}

func (w Window) validate() error {
	var errs cfgerr.List
	for i, d := range w.Days {
		if dayIndex(d) < 0 {
			errs.Add(cfgerr.Index("days", i), "must be one of %s, not %q", strings.Join(weekdays[:], ", "), d)
		}
	}
	if _, err := parseClock(w.From); err != nil {
		errs.Add("from", "%v", err)
	}
	if _, err := parseClock(w.Until); err != nil {
		errs.Add("until", "%v", err)
	}
	return errs.Err()
}

func dayIndex(d string) int {
	for i, w := range weekdays {
		if strings.EqualFold(d, w) {
			return i
		}
	}
	return -1
}

// startsOn reports whether the window starts on weekday wd.
func (w Window) startsOn(wd time.Weekday) bool {
	if len(w.Days) == 0 {
		return true
	}
	for _, d := range w.Days {
		if dayIndex(d) == int(wd) {
			return true
		}
	}
	return false
}

// contains reports whether t (already in the windows' zone) is inside w.
// A window that is not valid contains nothing.
func (w Window) contains(t time.Time) bool {
	from, err1 := parseClock(w.From)
	until, err2 := parseClock(w.Until)
	if err1 != nil || err2 != nil {
		return false
	}
	now := t.Hour()*60 + t.Minute()
	if until > from {
		return w.startsOn(t.Weekday()) && now >= from && now < until
	}
	// Across midnight: the evening of a start day, or the morning after.
	return (w.startsOn(t.Weekday()) && now >= from) ||
		(w.startsOn(t.AddDate(0, 0, -1).Weekday()) && now < until)
}

// inWindows reports whether t is in any of ws; no windows means always.
func inWindows(ws []Window, t time.Time, loc *time.Location) bool {
	if len(ws) == 0 {
		return true
	}
	t = t.In(loc)
	for _, w := range ws {
		if w.contains(t) {
			return true
		}
	}
	return false
}
