package audio

import (
	"math"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// SelfTestConfig is the speaker and microphone self-test's section
// ("audio.self_test:"): a short multi-tone signal is played through the
// speaker and measured on the microphone, never during a call. The last
// result is kept in the state directory across restarts, shows in
// /api/status, the web page and the history, is published retained on
// MQTT at <topic>/selftest, and a fault is logged and sent as
// the "self-test" event (messages, webhooks, presence note). The web page
// and POST /api/actions/self-test run it on demand.
type SelfTestConfig struct {
	// Interval is how often the test runs by itself (e.g. 24h; 1m to
	// 720h), counted from the last test (kept across restarts); 0 runs it
	// only on demand. A test due during a call waits until the call ends.
	Interval time.Duration `yaml:"interval"`
	// MinLevelDB is the lowest level, in dB against the level played (-80
	// to -10), at which the microphone counts as hearing a test tone; 0
	// means -40. A speaker and microphone a few centimetres apart measure
	// about -20.
	MinLevelDB float64 `yaml:"min_level_db"`
}

// validate adds what is wrong with c to errs under self_test.
func (c SelfTestConfig) validate(errs *cfgerr.List) {
	if c.Interval != 0 && (c.Interval < time.Minute || c.Interval > 720*time.Hour) {
		errs.Add("self_test.interval", "%v: must be 0 (on demand only) or 1m to 720h", c.Interval)
	}
	if c.MinLevelDB != 0 && !(c.MinLevelDB >= -80 && c.MinLevelDB <= -10) || math.IsNaN(c.MinLevelDB) {
		errs.Add("self_test.min_level_db", "%g dB: must be -80 to -10 (0: -40)", c.MinLevelDB)
	}
}
