package audio_test

import (
	"reflect"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/audio"
)

// The yaml tags are the file format: check a section decodes as documented.
func TestConfigYAML(t *testing.T) {
	const doc = `
capture: hw:1,0
playback: /var/lib/sipbell/speaker.wav
native_rate: 44100
period: 40ms
periods: 3
tone_country: DE
playback_gain_db: -6
capture_gain_db: 3.5
echo_cancel:
  mode: off
  tail: 256ms
  delay: 30ms
`
	c := audio.DefaultConfig()
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	want := audio.Config{Capture: "hw:1,0", Playback: "/var/lib/sipbell/speaker.wav", NativeRate: 44100,
		Period: 40 * time.Millisecond, Periods: 3, ToneCountry: "DE", PlaybackGainDB: -6, CaptureGainDB: 3.5,
		EchoCancel: audio.EchoCancelConfig{Mode: "off", Tail: 256 * time.Millisecond, Delay: 30 * time.Millisecond}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("decoded %+v\nwant    %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
