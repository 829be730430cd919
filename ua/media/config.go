package media

import (
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config is the media section of the configuration file ("media:").
type Config struct {
	// RTPPortMin and RTPPortMax bound the UDP ports used for RTP (even
	// ports; RTCP uses port+1). Default 10000-20000. Besides the calls'
	// ports, one pair stays bound for the next call, so that answering
	// need not wait for it; what it receives before the call is discarded.
	RTPPortMin int `yaml:"rtp_port_min"`
	RTPPortMax int `yaml:"rtp_port_max"`
	// Codecs lists the audio codecs in order of preference: "G722"
	// (wideband, 16 kHz audio: voice up to 7 kHz; RTP payload type 9),
	// "PCMU", "PCMA" (G.711, 8 kHz audio: up to 3.4 kHz). We offer them in
	// this order and, answering, take the first one the caller also
	// offers. The default is PCMU, PCMA: list G722 first (keeping G.711
	// after it as the fallback for peers without it) to have wideband
	// calls. With G722 listed the speaker and microphone run at 16 kHz
	// (G.711 calls are resampled to and from 8 kHz); G.722 coding costs
	// about 0.1 ms of CPU per 20 ms on amd64 against 2 µs for G.711.
	Codecs []string `yaml:"codecs"`
	// PTime is the packetisation time in milliseconds we ask for (a=ptime),
	// a multiple of 10 from 10 to 60. Default 20. The peer's a=ptime is
	// honoured for what we send.
	PTime int `yaml:"ptime"`
	// DTMFPayloadType is the RTP payload type we offer for RFC 4733
	// telephone-event (96-127, default 101). When answering, the offer's
	// payload type is used.
	DTMFPayloadType int `yaml:"dtmf_payload_type"`
	// DTMFDuration is how long each RFC 4733 digit we send lasts
	// (default 100ms, 40ms to 1s).
	DTMFDuration time.Duration `yaml:"dtmf_duration"`
	// JitterMinMS and JitterMaxMS bound the adaptive jitter buffer's
	// playout delay in milliseconds (defaults 20 and 200).
	JitterMinMS int `yaml:"jitter_min_ms"`
	JitterMaxMS int `yaml:"jitter_max_ms"`
	// InbandDTMF detects DTMF tones in the received audio as well as
	// RFC 4733 events and SIP INFO; a digit reported several ways is
	// delivered once (default true).
	InbandDTMF bool `yaml:"inband_dtmf"`
	// RTPTimeout ends the call when no RTP arrives for this long while the
	// peer is expected to send (default 30s; 0 disables).
	RTPTimeout time.Duration `yaml:"rtp_timeout"`
}

// DefaultConfig returns the defaults described on each field.
func DefaultConfig() Config {
	return Config{
		RTPPortMin:      10000,
		RTPPortMax:      20000,
		Codecs:          []string{"PCMU", "PCMA"},
		PTime:           20,
		DTMFPayloadType: 101,
		DTMFDuration:    100 * time.Millisecond,
		JitterMinMS:     20,
		JitterMaxMS:     200,
		RTPTimeout:      30 * time.Second,
		InbandDTMF:      true,
	}
}

// Validate checks the configuration and returns a cfgerr.List whose paths
// are relative to this section.
func (c *Config) Validate() error {
	var errs cfgerr.List
	switch {
	case c.RTPPortMin < 1024 || c.RTPPortMin > 65534:
		errs.Add("rtp_port_min", "must be 1024..65534, got %d", c.RTPPortMin)
	case c.RTPPortMax < c.RTPPortMin+1 || c.RTPPortMax > 65535:
		errs.Add("rtp_port_max", "must be rtp_port_min+1..65535, got %d", c.RTPPortMax)
	}
	if len(c.Codecs) == 0 {
		errs.Add("codecs", "must list at least one codec (G722, PCMU, PCMA)")
	}
	seen := map[string]bool{}
	for i, name := range c.Codecs {
		if _, ok := staticCodec(name); !ok {
			errs.Add(cfgerr.Index("codecs", i), "unknown codec %q (supported: G722, PCMU, PCMA)", name)
		} else if seen[strings.ToUpper(name)] {
			errs.Add(cfgerr.Index("codecs", i), "codec %q listed twice", name)
		}
		seen[strings.ToUpper(name)] = true
	}
	if c.PTime < 10 || c.PTime > 60 || c.PTime%10 != 0 {
		errs.Add("ptime", "must be 10, 20, ... 60 (milliseconds), got %d", c.PTime)
	}
	if c.DTMFPayloadType < 96 || c.DTMFPayloadType > 127 {
		errs.Add("dtmf_payload_type", "must be a dynamic payload type 96..127, got %d", c.DTMFPayloadType)
	}
	if c.DTMFDuration < 40*time.Millisecond || c.DTMFDuration > time.Second {
		errs.Add("dtmf_duration", "must be 40ms..1s, got %v", c.DTMFDuration)
	}
	if c.JitterMinMS < 0 || c.JitterMinMS > 1000 {
		errs.Add("jitter_min_ms", "must be 0..1000, got %d", c.JitterMinMS)
	}
	if c.JitterMaxMS < c.JitterMinMS || c.JitterMaxMS > 2000 {
		errs.Add("jitter_max_ms", "must be jitter_min_ms..2000, got %d", c.JitterMaxMS)
	}
	if c.RTPTimeout < 0 || (c.RTPTimeout > 0 && c.RTPTimeout < time.Second) {
		errs.Add("rtp_timeout", "must be 0 (disabled) or at least 1s, got %v", c.RTPTimeout)
	}
	return errs.Err()
}
