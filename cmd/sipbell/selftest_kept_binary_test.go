package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/internal/interop"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestSelfTestKeptAndOnMQTT (issue 18): the self-test run through the
// admin API on the binary (a microphone hearing street noise, a speaker
// going nowhere) is published retained on <topic>/selftest, so that
// mosquitto_sub -C 1 gets it; the process is killed and the broker
// restarted (its retained messages lost); the new process still shows the
// result in /api/status and on the web page's Actions tab (headless
// Chromium), and publishes it again from its state directory. Home
// Assistant discovery announces a problem sensor on that topic.
func TestSelfTestKeptAndOnMQTT(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	m := startTestMosquitto(t)
	dir := t.TempDir()
	spk, mic := filepath.Join(dir, "speaker.wav"), filepath.Join(dir, "mic.wav")
	writeMicWAV(t, mic, 100)
	cfgPath := writeSelfTestConfig(t, dir, mic, spk, fmt.Sprintf(`notify:
  mqtt:
    broker: mqtts://127.0.0.1:%d
    user: door
    password: door-pw
    ca_file: %s
    topic: sipbell/test
    backoff_max: 1s
    commands: [tester]
    home_assistant:
      discovery: true
      user: tester
`, m.TLSPort, m.CA.CertFile))
	p, h := startHistoryDoor(t, cfgPath)
	ran := runSelfTest(t, h)
	if ran.Pass || ran.Time.IsZero() {
		t.Fatalf("self-test: %+v, want a dated fault", ran)
	}
	sameResult(t, "MQTT before the restart", retainedSelfTest(ctx, t, m), ran)
	// Home Assistant: a problem sensor reading that topic.
	ha := retainedMessage(ctx, t, m, "homeassistant/binary_sensor/sipbell_test/audio/config")
	for _, w := range []string{`"device_class":"problem"`, `"state_topic":"sipbell/test/selftest"`, "value_json.pass"} {
		if !strings.Contains(ha, w) {
			t.Fatalf("Home Assistant self-test sensor %s, want %s in it", ha, w)
		}
	}

	_ = p.cmd.Process.Kill() // a power cut
	<-p.done
	m.Stop()
	m.Start(t) // no retained messages any more
	_, h = startHistoryDoor(t, cfgPath)
	st := statusSelfTest(t, h)
	if st == nil {
		t.Fatal("status after the restart has no self-test")
	}
	sameResult(t, "status after the restart", *st, ran)
	sameResult(t, "MQTT after the restart", retainedSelfTest(ctx, t, m), ran)

	// The page's Actions tab shows it too, in headless Chromium.
	b := cdptest.Start(t)
	b.Navigate(h.url + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsQuote(liveDoorPassword)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the app", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="actions"]').click()`, nil)
	b.WaitFor(ctx, "the last self-test on the Actions tab", `document.querySelector("#self-test-last").textContent.includes("only 0 of 7")`)
	var shown string
	b.Eval(`document.querySelector("#self-test-last").textContent`, &shown)
	if !strings.HasPrefix(shown, "Last self-test, ") || !strings.Contains(shown, selftest.VerdictFault) {
		t.Fatalf("the page shows %q", shown)
	}
	t.Logf("page: %s", shown)
}

// retainedSelfTest runs mosquitto_sub -C 1 on sipbell/test/selftest and
// returns the retained message it gets.
func retainedSelfTest(ctx context.Context, t *testing.T, m *interop.Mosquitto) selftest.Result {
	t.Helper()
	var r selftest.Result
	if out := retainedMessage(ctx, t, m, "sipbell/test/selftest"); json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("sipbell/test/selftest: %q, want a JSON result", out)
	}
	return r
}

// retainedMessage runs mosquitto_sub -C 1 on topic and returns the
// payload of the message it gets, which must be retained.
func retainedMessage(ctx context.Context, t *testing.T, m *interop.Mosquitto, topic string) string {
	t.Helper()
	bin := interop.Need(t, "mosquitto_sub", "mosquitto-clients")
	args := append(m.TLSArgs("tester", "tester-pw"), "-q", "1", "-C", "1", "-F", "%r %p", "-t", topic)
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("mosquitto_sub %s: %v: %s", topic, err, out)
	}
	payload, retained := strings.CutPrefix(strings.TrimSpace(string(out)), "1 ")
	if !retained {
		t.Fatalf("%s: %q, want a retained message", topic, out)
	}
	return payload
}

// sameResult fails unless got is the outcome want (time, verdict, figures).
func sameResult(t *testing.T, where string, got, want selftest.Result) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.String() != want.String() || got.NoiseDBFS != want.NoiseDBFS || len(got.Bands) != len(want.Bands) {
		t.Fatalf("%s: %+v, want %+v", where, got, want)
	}
	t.Logf("%s: %s at %s (noise %.1f dBFS)", where, got, got.Time.Format(time.RFC3339), got.NoiseDBFS)
}
