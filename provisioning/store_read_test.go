package provisioning

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadStateJSON: a state file is read whole up to its bound; a
// missing one is an empty state, an oversize or damaged one an error that
// names the file.
func TestReadStateJSON(t *testing.T) {
	t.Parallel()
	type state struct{ Name string }
	const limit = 32
	for _, tc := range []struct {
		name      string
		file      string // "" none
		wantFound bool
		want      string // the Name read; "kept" when the value is untouched
		wantErr   string
		wantIs    error
	}{
		{name: "missing", want: "kept"},
		{name: "good", file: `{"Name":"door"}`, wantFound: true, want: "door"},
		{name: "at the bound", file: `{"Name":"` + strings.Repeat("x", limit-11) + `"}`, wantFound: true,
			want: strings.Repeat("x", limit-11)},
		{name: "too large", file: `{"Name":"` + strings.Repeat("x", limit-10) + `"}`, want: "kept",
			wantErr: "read ", wantIs: ErrStateTooLarge},
		{name: "bad JSON", file: `{"Name":"do`, want: "kept", wantErr: "decode "},
		{name: "trailing data", file: `{"Name":"door"} {}`, wantErr: "decode "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.json")
			if tc.file != "" {
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := state{Name: "kept"}
			found, err := ReadStateJSON(path, limit, &got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr+path) || found {
					t.Fatalf("ReadStateJSON = %v, %v; want an error with %q", found, err, tc.wantErr+path)
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Fatalf("ReadStateJSON: %v, want %v", err, tc.wantIs)
				}
				if tc.want != "" && got.Name != tc.want {
					t.Fatalf("ReadStateJSON left %q, want %q", got.Name, tc.want)
				}
				return
			}
			if err != nil || found != tc.wantFound || got.Name != tc.want {
				t.Fatalf("ReadStateJSON = %v, %v, %q; want %v, nil, %q", found, err, got.Name, tc.wantFound, tc.want)
			}
		})
	}
}
