// Command configdoc regenerates docs/configuration.md from the Go source
// (field doc comments and defaults). Run it from the repository root:
//
//	go run ./scripts/configdoc
package main

import (
	"fmt"
	"os"

	"github.com/sipbell/sipbell/internal/configdoc"
	"github.com/sipbell/sipbell/provisioning"
)

func main() {
	out, err := configdoc.Generate(provisioning.Default(), "github.com/sipbell/sipbell", ".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "configdoc:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("docs/configuration.md", []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "configdoc:", err)
		os.Exit(1)
	}
}
