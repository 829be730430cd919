package media

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
	"go.yaml.in/yaml/v3"
)

func TestConfigValidate(t *testing.T) {
	if err := func() error { c := DefaultConfig(); return c.Validate() }(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		paths []string
	}{
		{"ports-low", func(c *Config) { c.RTPPortMin = 80 }, []string{"rtp_port_min"}},
		{"ports-inverted", func(c *Config) { c.RTPPortMax = 9000 }, []string{"rtp_port_max"}},
		{"no-codecs", func(c *Config) { c.Codecs = nil }, []string{"codecs"}},
		{"bad-codec", func(c *Config) { c.Codecs = []string{"PCMU", "G729", "pcmu"} }, []string{"codecs[1]", "codecs[2]"}},
		{"ptime", func(c *Config) { c.PTime = 25 }, []string{"ptime"}},
		{"dtmf-pt", func(c *Config) { c.DTMFPayloadType = 8 }, []string{"dtmf_payload_type"}},
		{"dtmf-dur", func(c *Config) { c.DTMFDuration = time.Millisecond }, []string{"dtmf_duration"}},
		{"jitter", func(c *Config) { c.JitterMinMS, c.JitterMaxMS = 100, 50 }, []string{"jitter_max_ms"}},
		{"jitter-neg", func(c *Config) { c.JitterMinMS = -1 }, []string{"jitter_min_ms"}},
		{"timeout", func(c *Config) { c.RTPTimeout = time.Millisecond }, []string{"rtp_timeout"}},
		{"timeout-off", func(c *Config) { c.RTPTimeout = 0 }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			var l cfgerr.List
			if tc.paths == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.As(err, &l) {
				t.Fatalf("err = %v, want cfgerr.List", err)
			}
			var got []string
			for _, fe := range l {
				got = append(got, fe.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.paths, ",") {
				t.Errorf("paths = %v, want %v (%v)", got, tc.paths, err)
			}
		})
	}
}

// TestConfigYAML: durations are written the way people write them.
func TestConfigYAML(t *testing.T) {
	c := DefaultConfig()
	src := "rtp_port_min: 30000\nrtp_port_max: 30100\ncodecs: [PCMA]\nptime: 30\ndtmf_duration: 150ms\nrtp_timeout: 1m\ninband_dtmf: false\njitter_max_ms: 300\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.RTPPortMin != 30000 || c.Codecs[0] != "PCMA" || c.PTime != 30 || c.DTMFDuration != 150*time.Millisecond ||
		c.RTPTimeout != time.Minute || c.InbandDTMF || c.JitterMaxMS != 300 || c.JitterMinMS != 20 {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
