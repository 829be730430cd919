package configdoc

import (
	"os"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/provisioning"
)

// TestReferenceIsCurrent fails when docs/configuration.md no longer
// matches the code: run "go run ./scripts/configdoc" and commit the result.
func TestReferenceIsCurrent(t *testing.T) {
	got, err := Generate(provisioning.Default(), "github.com/sipbell/sipbell", "../..")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatal(`docs/configuration.md is stale: run "go run ./scripts/configdoc" and commit it`)
	}
}

// TestEveryKeyDocumented fails when a configuration field has no doc
// comment: the reference would show an empty meaning.
func TestEveryKeyDocumented(t *testing.T) {
	got, err := Generate(provisioning.Default(), "github.com/sipbell/sipbell", "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "| `") && strings.HasSuffix(line, "|  |") {
			t.Errorf("undocumented key: %s", line)
		}
	}
}
