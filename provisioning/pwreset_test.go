package provisioning

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResetPasswordFromFile: the reset file's first line becomes the
// password; an empty file generates one, logged once; a too short one
// changes nothing; a file that cannot be removed resets once; the
// configured password it overrode stays overridden.
func TestResetPasswordFromFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		readOnly      bool
		want          string // "" keeps the old password; "generated": the logged one
	}{
		{"new password", "brand-new-pw\n", false, "brand-new-pw"},
		{"byte order mark and CRLF", "\xef\xbb\xbfwindows-pw1\r\nignored\r\n", false, "windows-pw1"},
		{"empty file", "\n", false, "generated"},
		{"too short", "abc\n", false, ""},
		{"read-only boot partition", "ro-partition-pw\n", true, "ro-partition-pw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state, boot := t.TempDir(), t.TempDir()
			if _, err := storePassword(filepath.Join(state, PasswordFile), "configured-pw"); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(boot, PasswordResetFile)
			if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.readOnly {
				if err := os.Chmod(boot, 0o500); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(boot, 0o700) })
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			files := []string{filepath.Join(boot, "missing", PasswordResetFile), f}
			from, err := resetPasswordFromFile(state, files, "configured-pw", log)
			if err != nil {
				t.Fatal(err)
			}
			h, err := ensurePassword(state, "", log)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == "generated" {
				_, rest, _ := strings.Cut(logs.String(), `"password":"`)
				want, _, _ = strings.Cut(rest, `"`)
			}
			switch {
			case want == "" && (from != "" || !h.verify("configured-pw")):
				t.Fatalf("reset from %q; the old password no longer works", from)
			case want != "" && (from != f || !h.verify(want) || h.verify("configured-pw")):
				t.Fatalf("reset from %q; %q does not log in, or the old one still does", from, want)
			case want != "" && !overridden(state, "configured-pw"):
				t.Fatal("the configured password is not overridden")
			}
			if want == "" {
				return
			}
			if _, err := os.Stat(f); tc.readOnly == os.IsNotExist(err) && os.Geteuid() != 0 {
				t.Fatalf("reset file removed: %v, read-only %v", os.IsNotExist(err), tc.readOnly)
			}
			again, err := resetPasswordFromFile(state, files, "configured-pw", log)
			if err != nil || again != "" {
				t.Fatalf("a second start reset again from %q (%v)", again, err)
			}
		})
	}
}
