//go:build tools

// Package gokrazy holds the gokrazy appliance configurations of sipbell
// (rpi/ for the Pi 3/4/5 SD image, amd64/ for its twin booted under qemu in
// tests). It is its own module, so gokrazy's build-only dependencies
// (kernel, firmware, init, dhcp/ntp) never enter the main module's graph:
// monogok builds the images from this directory's go.mod, where sipbell
// itself comes from the parent directory through a replace directive.
//
// This file is never compiled (the tools build tag): its imports only tell
// `go mod tidy`, which considers every tag but ignore, what the images
// need. It lists the union of the packages in rpi/config.json and
// amd64/config.json (what `monogok gendep` writes per config).
package gokrazy

import (
	_ "github.com/gokrazy/firmware"
	_ "github.com/gokrazy/gokrazy"
	_ "github.com/gokrazy/gokrazy/cmd/dhcp"
	_ "github.com/gokrazy/gokrazy/cmd/ntp"
	_ "github.com/gokrazy/gokrazy/cmd/randomd"
	_ "github.com/gokrazy/kernel.amd64"
	_ "github.com/gokrazy/kernel.rpi"
	_ "github.com/gokrazy/rpi-eeprom"
	_ "github.com/sipbell/sipbell/cmd/sipbell"
)
