// Package provisioning owns how configuration reaches the device: the one
// YAML file that composes every package's Config section, its strict
// loading (unknown keys are errors) and validation with field paths and
// line numbers, and redaction of secrets for display.
//
// On top of that:
//
//   - Manager is the one door for changes: validate whole, Apply (an
//     Applier that cmd/sipbell implements), persist atomically keeping
//     the previous file as last-known-good (LKGSuffix), and roll back when
//     Apply fails or the device stays unhealthy for RollbackAfter.
//   - Puller fetches the per-device file (URL template, DHCP option
//     160/66/67) and an optional common file over HTTP(S) with
//     conditional requests, basic/digest auth, backoff and SyncNow.
//   - Admin serves the JSON API and the embedded web UI (web/), always
//     authenticated, with the simulated board's controls under /sim/.
//
// The package's own section is Config ("provisioning:").
package provisioning
