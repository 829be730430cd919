package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/device"
)

// TestPayloadCarriesNoNanoseconds: what a resident reads ("The door has
// been open for 5m0s.") and what a webhook gets ("time", "open_seconds")
// are rounded, not the clock's nanoseconds (issue 12 item 9).
func TestPayloadCarriesNoNanoseconds(t *testing.T) {
	ev := device.Event{Kind: device.EventDoorLeftOpen, Open: 5*time.Minute + 123456789*time.Nanosecond,
		Time: time.Date(2026, 12, 5, 18, 1, 2, 345678901, time.UTC)}
	p := PayloadOf(ev, "door")
	tx, err := newTexts(nil)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := tx.Render(p); err != nil || text != "The door has been open for 5m0s." {
		t.Errorf("text %q, %v", text, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"time":"2026-12-05T18:01:02.345Z"`, `"open_seconds":300.123`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("webhook JSON lacks %s: %s", want, b)
		}
	}
}
