package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/provisioning"
)

type memRecorder struct{ entries []history.Entry }

func (m *memRecorder) Add(e history.Entry) error { m.entries = append(m.entries, e); return nil }

// TestProvisioningOutcomesInHistory: refusals, failures, rollbacks and
// applied provisioning files are recorded with their reason; polls that
// found nothing new, the page's own saves (recorded with what changed)
// and an outcome repeating the last one are not.
func TestProvisioningOutcomesInHistory(t *testing.T) {
	t.Parallel()
	rec := &memRecorder{}
	fn := provisioningRecorder(rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pull := "pull http://prov.example/door.yaml"
	for _, r := range []provisioning.Result{
		{Source: pull, Outcome: provisioning.OutcomeNotModified},
		{Source: pull, Outcome: provisioning.OutcomeFetchFailed, Message: "connection refused"},
		{Source: pull, Outcome: provisioning.OutcomeFetchFailed, Message: "connection refused"},
		{Source: pull, Outcome: provisioning.OutcomeInvalid, Message: "configuration refused, nothing changed",
			Errors: []provisioning.FieldProblem{{Path: "sip.listen", Message: "a host:port such as 0.0.0.0:5060"}}},
		{Source: "admin 127.0.0.1", Outcome: provisioning.OutcomeApplied},
		{Source: "admin 127.0.0.1", Outcome: provisioning.OutcomeUnchanged},
		{Source: pull, Outcome: provisioning.OutcomeApplied},
		{Source: "rollback", Outcome: provisioning.OutcomeRolledBack, Message: "not healthy: account door not registered"},
	} {
		fn(r)
	}
	var got []string
	for _, e := range rec.entries {
		if e.Kind != history.KindProvisioning {
			t.Errorf("kind %q", e.Kind)
		}
		got = append(got, e.Who+" | "+e.Detail)
	}
	want := []string{
		pull + " | fetch-failed: connection refused",
		pull + " | invalid: configuration refused, nothing changed; sip.listen: a host:port such as 0.0.0.0:5060",
		pull + " | applied",
		"rollback | rolled-back: not healthy: account door not registered",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
