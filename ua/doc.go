// Package ua is sipbell's SIP user agent, built on github.com/emiago/sipgo.
//
// Its one job is SIP: it listens on UDP and TCP, answers OPTIONS, registers
// with the configured registrar, places and answers calls, and publishes
// state as events. It knows SIP and media, not buttons: the device package
// drives it through a small interface and sees no SIP types.
package ua
