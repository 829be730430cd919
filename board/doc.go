// Package board is sipbell's hardware layer: it drives the pins of a board
// by role (call buttons, status LED, call LED, door relays, door contact,
// hook switch, ringer) over periph.io, debounces inputs into events, plays
// output patterns (blink, pulse, ring cadence) from one scheduler
// goroutine, and offers built-in board profiles ("sim", "rpi",
// "respeaker-2mic").
//
// Everything above this package sees only board's own types (Board, Event,
// Pattern, Config); only this package imports periph drivers. The "sim"
// profile runs the same logic on periph gpiotest pins that a person can
// operate from a terminal or over HTTP (see Sim).
package board
