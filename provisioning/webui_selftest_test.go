package provisioning

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebUISelfTest: the Actions tab's "Test speaker and microphone"
// button runs the self-test and shows its verdict and response.
func TestWebUISelfTest(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, func(o *AdminOptions) { o.Actions = faultyTester{o.Actions.(*fakeActions)} })
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b.Navigate(e.URL + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the status page", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="actions"]').click(); document.querySelector('[data-action="self-test"]').click()`, nil)
	b.WaitFor(ctx, "the verdict", `document.querySelector("#action-msg").textContent.includes("fault")`)
	var msg string
	b.Eval(`document.querySelector("#action-msg").textContent`, &msg)
	for _, want := range []string{"speaker or microphone fault", "only 0 of 7", "300 Hz -60.5 dB"} {
		if !strings.Contains(msg, want) {
			t.Errorf("page says %q, want %q in it", msg, want)
		}
	}
}

// faultyTester's self-test finds a silent speaker.
type faultyTester struct{ *fakeActions }

func (faultyTester) SelfTest(context.Context) (any, error) {
	return map[string]any{"pass": false, "verdict": "speaker or microphone fault", "level_db": -60.5,
		"detail": "the microphone hears the room but only 0 of 7 test tones",
		"bands":  []map[string]any{{"hz": 300, "response_db": -60.5, "snr_db": 0.2}}}, nil
}
