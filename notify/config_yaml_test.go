package notify

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigYAML(t *testing.T) {
	t.Parallel()
	src := `
webhooks:
  - url: https://hooks.example/door
    events: [rang, missed]
    secret: 0123456789abcdef0123
    timeout: 3s
    retries: 2
    backoff_max: 1m
messages:
  to: [sip:alice@pbx.example]
  texts:
    missed: "Missed at {{.Time}}"
`
	c := DefaultConfig()
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	w := c.Webhooks[0]
	if w.URL != "https://hooks.example/door" || w.Timeout != 3*time.Second || w.Retries == nil || *w.Retries != 2 || w.BackoffMax != time.Minute ||
		len(w.Events) != 2 || c.Messages.To[0] != "sip:alice@pbx.example" || c.Messages.Texts["missed"] == "" ||
		len(c.Messages.Events) != 3 || c.Queue != 64 {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
