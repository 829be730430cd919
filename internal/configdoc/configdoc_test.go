package configdoc

import (
	"os"
	"regexp"
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

// goIdent matches what reads as a Go identifier rather than a word: a
// mixed-case word ("RingTimeout", "ErrBusy"), a qualified name
// ("time.Duration", "tone.Countries") or a key followed by a field.
var goIdent = regexp.MustCompile("\\b[A-Za-z0-9]*[a-z][A-Z][A-Za-z0-9]*\\b|\\b[A-Z]{2,}[a-z][A-Za-z0-9]*\\b|\\b[A-Za-z]+\\.[A-Z][A-Za-z0-9]*\\b|`[a-z_]+`\\.[A-Za-z]")

// notGo are the mixed-case words of the reference that are not Go: units,
// protocol terms, ALSA node names, the scanners' own User-Agent names
// and digit map patterns.
var notGo = map[string]bool{
	"CAs": true, "ETag": true, "IPv6": true, "MiB": true, "URIs": true, "dB": true, "kB": true, "kHz": true,
	"pcmC": true, "pcmC1D0c": true, "pcmC1D0p": true, "SIVuS": true, "iWar": true,
	"VaxIPUserAgent": true, "VaxSIPUserAgent": true, "xx.T": true, // a digit map pattern
	"OpenSeconds": true, "Time.Local": true, "Time.Format": true, // message text placeholders
	"PBXs": true, "NetworkManager": true, // a plural, a program's name
}

// TestNoGoIdentifiers fails when the reference shows a Go name (a field,
// a constant, a type) where a user needs the key or the value.
func TestNoGoIdentifiers(t *testing.T) {
	got, err := Generate(provisioning.Default(), "github.com/sipbell/sipbell", "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(got, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, w := range goIdent.FindAllString(line, -1) {
			if !notGo[w] {
				t.Errorf("Go name %q in: %.100s", w, line)
			}
		}
	}
}
