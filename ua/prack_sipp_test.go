package ua

import (
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestReliableRinging: a caller that requires 100rel gets a reliable 180
// (Require: 100rel, RSeq), and the call is answered once its PRACK came.
func TestReliableRinging(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), nil)
	runSipp(t, interop.SippOptions{Scenario: scenario("uac_100rel.xml"), Remote: h.Addr().String(), Service: "door"})
	h.wait(t, 5*time.Second, "answered", callIs(CallAnswered))
	h.wait(t, 5*time.Second, "ended", callIs(CallEnded))
}
