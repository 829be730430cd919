package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartupEventReachesMQTTAndHistoryBinary: an event the door station
// reports at its very start (do-not-disturb on by schedule: a window open
// all day) reaches every listener — the MQTT event, seen by mosquitto_sub
// on a real Mosquitto, and the history in the state directory — because
// the device runs only once history, presence and MQTT have subscribed.
func TestStartupEventReachesMQTTAndHistoryBinary(t *testing.T) {
	t.Parallel()
	d := startMQTTDoor(t, `  dnd:
    windows:
      - {from: "00:00", until: "23:59"}
      - {from: "23:59", until: "00:00"}`)
	if m := d.p.await(t, "do-not-disturb on"); m["by"] != "schedule" {
		t.Fatalf("do-not-disturb on by %v, want schedule", m["by"])
	}
	awaitInOrder(d.ctx, t, d.live, "0 sipbell/test/event/dnd {", `"schedule"`)
	dir := filepath.Join(filepath.Dir(d.p.cmd.Args[2]), "state", "history") // -config <dir>/sipbell.yaml
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		var hist strings.Builder
		for _, f := range files {
			b, _ := os.ReadFile(f)
			hist.Write(b)
		}
		if strings.Contains(hist.String(), `"kind":"dnd","who":"schedule"`) &&
			strings.Contains(hist.String(), `"detail":"do-not-disturb on"`) {
			return
		}
		select {
		case <-d.ctx.Done():
			t.Fatalf("the history never had do-not-disturb on by schedule:\n%s", hist.String())
		case <-tick.C:
		}
	}
}
