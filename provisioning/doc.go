// Package provisioning owns how configuration reaches the device: the one
// YAML file that composes every package's Config section, its strict
// loading (unknown keys are errors) and validation with field paths and
// line numbers, and redaction of secrets for display.
//
// Pull provisioning over HTTP and the admin API/web UI build on this.
package provisioning
