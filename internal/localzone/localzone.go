// Package localzone holds the device's time zone (device.time_zone): the
// zone logs, message texts, the history and the web page read in. It is
// process-wide, as time.Local is, but set and read without a data race
// while the configuration changes under running goroutines.
package localzone

import (
	"fmt"
	"sync/atomic"
	"time"
)

var zone atomic.Pointer[time.Location]

// Set makes loc the device's zone; nil unsets it (the system's zone,
// time.Local, then applies: UTC on gokrazy).
func Set(loc *time.Location) { zone.Store(loc) }

// Zone is the device's zone, nil when none is set.
func Zone() *time.Location { return zone.Load() }

// Local is t in the device's zone, else in the system's (t.Local()).
func Local(t time.Time) time.Time {
	if z := zone.Load(); z != nil {
		return t.In(z)
	}
	return t.Local()
}

// Load reads an IANA zone name ("Europe/Berlin"); "" is nil (no zone
// set). A name the zone database lacks is an error naming it. The
// database is the system's (/usr/share/zoneinfo, Debian's tzdata);
// gokrazy, which has none, builds Go's in (-tags timetzdata in
// gokrazy/*/config.json): 450 KB the other builds do without.
func Load(name string) (*time.Location, error) {
	if name == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || len(name) > 64 || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q: a zone such as Europe/Berlin or America/New_York", name)
	}
	return loc, nil
}
