package main

import (
	"debug/buildinfo"
	"os"
	"strings"
	"testing"
)

// TestCopyrightListsEveryLinkedModule reads the module list out of the
// built sipbell binary and checks that the .deb's copyright file names
// every module linked into it, and that the project licence is declared.
func TestCopyrightListsEveryLinkedModule(t *testing.T) {
	t.Parallel()
	info, err := buildinfo.ReadFile(binary(t))
	if err != nil {
		t.Fatalf("reading the build info of the sipbell binary: %v", err)
	}
	raw, err := os.ReadFile("../../packaging/debian/copyright")
	if err != nil {
		t.Fatal(err)
	}
	copyright := string(raw)
	files := map[string]bool{}
	for _, line := range strings.Split(copyright, "\n") {
		if rest, ok := strings.CutPrefix(line, "Files: "); ok {
			for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' }) {
				files[f] = true
			}
		}
	}
	if len(info.Deps) == 0 {
		t.Fatal("the binary lists no modules")
	}
	for _, m := range info.Deps {
		if !files[m.Path] {
			t.Errorf("module %s %s is linked into sipbell but has no Files: paragraph in packaging/debian/copyright", m.Path, m.Version)
		}
	}
	if !strings.Contains(copyright, "Files: *\nCopyright: 2026 the sipbell authors\nLicense: Apache-2.0\n") {
		t.Error("copyright does not declare sipbell itself Apache-2.0")
	}
	lic, err := os.ReadFile("../../LICENSE")
	if err != nil || !strings.Contains(string(lic), "Apache License\n                           Version 2.0, January 2004") {
		t.Errorf("LICENSE is not the Apache License 2.0 (err %v)", err)
	}
}
