package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigMessageTexts (issue 16): the sipbell binary reads
// notify.messages.texts in its own subset of text/template (fields, time
// layouts, if/else, range over the targets): such a text passes
// -check-config, and what the subset does not read (a function, a
// pipeline) is refused with the field path and the action named.
func TestCheckConfigMessageTexts(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		code       int
		want       string
	}{
		{"fields", `"Door opened by {{.Who}} at {{.Time.Local.Format \"15:04\"}}{{if .Reason}} ({{.Reason}}){{end}}."`, 0, ""},
		{"range", `"Missed{{range .Targets}} {{.}}{{else}}x{{end}}"`, 1, "notify.messages.texts.missed: {{else}} in {{range}}: not supported in message texts"},
		{"printf", `"{{printf \"%s\" .Who}}"`, 1, `notify.messages.texts.missed: {{printf "%s" .Who}}: not supported in message texts`},
		{"unknown", `"{{.Caller}}"`, 1, "notify.messages.texts.missed: unknown field .Caller (one of .ID"},
	} {
		path := filepath.Join(dir, tc.name+".yaml")
		body := "notify:\n  messages:\n    texts:\n      missed: " + tc.text + "\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-check-config", path)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		err := cmd.Run()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: exit %d, want %d with %q; output:\n%s", tc.name, code, tc.code, tc.want, stderr.String())
		}
	}
}
